package dev.rollcall.app;

import dev.rollcall.core.auth.OperatorAuth;
import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.health.ReadinessChecks;
import dev.rollcall.core.http.HttpErrors;
import dev.rollcall.core.http.RouteContributor;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
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
  private final OperatorAuth operatorAuth;

  HttpVerticle(NodeContext node, List<RollcallModule> modules, List<Listener> listeners, PrometheusMeterRegistry registry) {
    this.node = node;
    this.modules = modules;
    this.listeners = listeners;
    this.registry = registry;
    this.operatorAuth = new OperatorAuth(node.config().adminToken()
        .orElseThrow(() -> new IllegalStateException("the operator API needs an admin token")));
  }

  @Override
  public Future<?> start() {
    List<RouteContributor> contributors = new ArrayList<>();
    for (RollcallModule module : modules) {
      contributors.addAll(module.routes(node));
    }
    List<Future<?>> steps = new ArrayList<>();
    steps.add(vertx.eventBus().<JsonObject>consumer(Addresses.HEALTH_PING,
        msg -> msg.reply(new JsonObject().put("node", node.nodeId()))).completion());
    for (Listener listener : listeners) {
      Router router = router(listener, contributors);
      steps.add(vertx.createHttpServer(new HttpServerOptions()
              .setHost(listener.host())
              .setPort(listener.port())
              .setCompressionSupported(true)
              .setIdleTimeout(120))
          .requestHandler(router)
          .listen());
    }
    return Future.all(steps);
  }

  private Router router(Listener listener, List<RouteContributor> contributors) {
    Router router = Router.router(vertx);
    // Every body is bounded; a larger one is refused with 413 before any handler reads it.
    router.route().handler(BodyHandler.create(false).setBodyLimit(node.config().bodyLimitBytes()));
    router.get("/health/live").handler(HealthCheckHandler.createWithHealthChecks(ReadinessChecks.liveness(vertx)));
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(
        ReadinessChecks.readiness(vertx, node.pool(), node.redisApi())));
    if (listener.metrics()) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    }
    if (listener.agentApi()) {
      contributors.forEach(c -> c.mountAgentRoutes(router));
    }
    if (listener.operatorApi()) {
      // Agent routes are matched first (they were added first and end the response), so everything else
      // under /api/v1 is the operator API and needs the admin token, unknown paths included.
      router.route("/api/v1/*").handler(operatorAuth);
      contributors.forEach(c -> c.mountOperatorRoutes(router));
    }
    router.route().last().handler(HttpErrors::notFound);
    router.route().failureHandler(HttpErrors::handleFailure);
    return router;
  }
}
