package dev.rollcall.gatewaysim;

import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import io.vertx.core.Future;

/** Deploys the gateway-sim module on a node. */
public final class GatewaySimModule implements RollcallModule {
  public static final String NAME = "gateway-sim";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<?> deploy(NodeContext node) {
    return node.vertx().deployVerticle(new GatewaySimVerticle());
  }
}
