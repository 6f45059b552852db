package dev.rollcall.core.node;

import dev.rollcall.core.http.RouteContributor;
import dev.rollcall.core.http.RouteScope;
import io.vertx.core.Future;
import java.util.List;

/**
 * One bounded context of Rollcall (token, heartbeat, provisioner, reconciler, gateway-sim): how the
 * bootstrap deploys it and which routes it adds to the node's HTTP listeners. The app lists the modules
 * a node runs; each module owns its verticles, addresses and routes.
 */
public interface RollcallModule {

  /** Short name, as used by {@code serve --verticles} and in logs: {@code token}, {@code heartbeat}, ... */
  String name();

  /** Deploys the module's verticles; the future completes when they have started. */
  Future<?> deploy(NodeContext node);

  /**
   * Routes for the HTTP listeners. Called once per HTTP verticle instance with that instance's scope,
   * so a contributor may keep event-loop-local state (caches) without locks, and shares the event loop's
   * credential cache with the other modules. The default is none.
   */
  default List<RouteContributor> routes(RouteScope scope) {
    return List.of();
  }
}
