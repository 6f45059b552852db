package dev.rollcall.app;

import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.http.RouteContributor;
import dev.rollcall.core.http.RouteScope;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The fleet dashboard: plain HTML, CSS and JavaScript from the classpath at {@code /ui/} (public: the page
 * holds no data; it asks for the admin token and calls the operator API with it), and live updates at
 * {@code GET /api/v1/stream} (behind the admin token like the rest of the operator API): Server-Sent
 * Events, outbound only, forwarding the event-bus addresses of {@link #PERMITTED} and nothing else.
 */
final class DashboardModule implements RollcallModule {
  static final String NAME = "dashboard";
  /** The only bus addresses the stream forwards to browsers. */
  static final Set<String> PERMITTED = Set.of(Addresses.AGENT_TRANSITIONED);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<?> deploy(NodeContext node) {
    return Future.succeededFuture(); // routes only
  }

  @Override
  public List<RouteContributor> routes(RouteScope scope) {
    return List.of(new RouteContributor() {
      @Override
      public void mountOperatorRoutes(Router router) {
        router.get("/api/v1/stream").handler(rc -> stream(scope.node(), rc));
        // /ui without its slash would resolve the page's relative links against /: send it to /ui/.
        router.getWithRegex("/ui").handler(rc -> rc.redirect("/ui/"));
        router.route("/ui/*").handler(rc -> {
          // The page holds the admin token in sessionStorage: only its own scripts, no framing, no sniffing.
          rc.response().putHeader("content-security-policy", "default-src 'self'; frame-ancestors 'none'")
              .putHeader("x-content-type-options", "nosniff");
          rc.next();
        });
        router.route("/ui/*").handler(StaticHandler.create("webroot/ui").setCachingEnabled(false).setIndexPage("index.html"));
      }
    });
  }

  private static void stream(NodeContext node, RoutingContext rc) {
    HttpServerResponse response = rc.response()
        .putHeader("content-type", "text/event-stream; charset=utf-8")
        .putHeader("cache-control", "no-store")
        .setChunked(true);
    response.write(": connected\n\n");
    List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
    for (String address : PERMITTED) {
      consumers.add(node.vertx().eventBus().<JsonObject>consumer(address, msg -> {
        if (response.writeQueueFull()) {
          response.reset(); // a reader that stopped reading: drop it rather than buffer every transition
          return;
        }
        response.write("event: " + address + "\ndata: " + msg.body().encode() + "\n\n");
      }));
    }
    // A comment every 15 s keeps proxies from closing an idle stream.
    long keepAlive = node.vertx().setPeriodic(15_000, id -> response.write(": keep-alive\n\n"));
    Runnable cleanUp = () -> {
      node.vertx().cancelTimer(keepAlive);
      consumers.forEach(MessageConsumer::unregister);
    };
    response.closeHandler(v -> cleanUp.run());
    response.exceptionHandler(e -> cleanUp.run());
  }
}
