package dev.rollcall.app;

import dev.rollcall.core.http.RequestInputs;
import dev.rollcall.core.http.RouteContributor;
import dev.rollcall.core.http.RouteScope;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.List;

/** A module for tests only: one agent route and two operator routes, to see where routes land. */
final class ProbeModule implements RollcallModule {
  @Override
  public String name() {
    return "probe";
  }

  @Override
  public Future<?> deploy(NodeContext node) {
    return Future.succeededFuture();
  }

  @Override
  public List<RouteContributor> routes(RouteScope scope) {
    return List.of(new RouteContributor() {
      @Override
      public void mountAgentRoutes(Router router) {
        router.post("/api/v1/probe/agent").handler(rc -> {
          JsonObject body = RequestInputs.jsonBody(rc);
          String name = RequestInputs.requiredString(body, "name", 20);
          rc.json(new JsonObject().put("hello", name));
        });
      }

      @Override
      public void mountOperatorRoutes(Router router) {
        router.get("/api/v1/probe/operator/:id").handler(rc ->
            rc.json(new JsonObject().put("id", RequestInputs.uuidParam(rc, "id").toString())));
        router.get("/api/v1/probe/boom").handler(rc -> {
          throw new IllegalStateException("internal detail that must not leak");
        });
      }
    });
  }
}
