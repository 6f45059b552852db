package dev.rollcall.heartbeat;

import dev.rollcall.core.http.RouteContributor;
import dev.rollcall.core.http.RouteScope;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import io.vertx.core.Future;
import java.util.List;

/**
 * The heartbeat intake. It owns no verticle: heartbeats are served by the node's HTTP verticle
 * instances directly (the hot path must not cross the event bus per request), through these routes.
 */
public final class HeartbeatModule implements RollcallModule {
  public static final String NAME = "heartbeat";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<?> deploy(NodeContext node) {
    return Future.succeededFuture();
  }

  @Override
  public List<RouteContributor> routes(RouteScope scope) {
    return List.of(new HeartbeatRoutes(scope.node(), scope.verifier()));
  }
}
