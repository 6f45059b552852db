package dev.rollcall.token;

import dev.rollcall.core.http.RouteContributor;
import dev.rollcall.core.http.RouteScope;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import io.vertx.core.Future;
import java.util.List;

/** Deploys the token-verticle and contributes register and credential routes to the agent API. */
public final class TokenModule implements RollcallModule {
  public static final String NAME = "token";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<?> deploy(NodeContext node) {
    return node.vertx().deployVerticle(new TokenVerticle(node));
  }

  @Override
  public List<RouteContributor> routes(RouteScope scope) {
    return List.of(new TokenRoutes(scope.node(), scope.verifier()));
  }
}
