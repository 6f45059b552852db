package dev.rollcall.app;

import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.http.NodeRouters;
import dev.rollcall.core.http.RouteContributor;
import dev.rollcall.core.http.RouteScope;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.ArrayList;
import java.util.List;

/**
 * The node's HTTP side: one router per {@link Listener}, composed from the routes every module
 * contributes, plus health and metrics. Deployed in several instances that share each port; since
 * Vert.x shares a port's connections round-robin across servers, modules never listen themselves.
 * Also answers {@link Addresses#HEALTH_PING}, the event-bus leg of /health/ready.
 */
final class HttpVerticle extends VerticleBase {
  private final NodeContext node;
  private final List<RollcallModule> modules;
  private final List<Listener> listeners;
  private final PrometheusMeterRegistry registry;

  HttpVerticle(NodeContext node, List<RollcallModule> modules, List<Listener> listeners, PrometheusMeterRegistry registry) {
    this.node = node;
    this.modules = modules;
    this.listeners = listeners;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    RouteScope scope = new RouteScope(node);
    List<RouteContributor> contributors = new ArrayList<>();
    for (RollcallModule module : modules) {
      contributors.addAll(module.routes(scope));
    }
    List<Future<?>> steps = new ArrayList<>();
    steps.add(vertx.eventBus().<JsonObject>consumer(Addresses.HEALTH_PING,
        msg -> msg.reply(new JsonObject().put("node", node.nodeId()))).completion());
    for (Listener listener : listeners) {
      Handler<HttpServerRequest> router = router(listener, contributors);
      steps.add(vertx.createHttpServer(Listener.serverOptions(listener.host(), listener.port()))
          .requestHandler(router)
          .listen());
    }
    return Future.all(steps);
  }

  private Handler<HttpServerRequest> router(Listener listener, List<RouteContributor> contributors) {
    return NodeRouters.build(vertx, node, contributors, listener.agentApi(), listener.operatorApi(),
        listener.metrics() ? PrometheusScrapingHandler.create(registry) : null);
  }
}
