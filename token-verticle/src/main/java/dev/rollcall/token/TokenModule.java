package dev.rollcall.token;

import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import io.vertx.core.Future;

/** Deploys the token module on a node. */
public final class TokenModule implements RollcallModule {
  public static final String NAME = "token";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<?> deploy(NodeContext node) {
    return node.vertx().deployVerticle(new TokenVerticle());
  }
}
