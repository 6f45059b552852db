package dev.rollcall.heartbeat;

import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import io.vertx.core.Future;

/** Deploys the heartbeat module on a node. */
public final class HeartbeatModule implements RollcallModule {
  public static final String NAME = "heartbeat";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<?> deploy(NodeContext node) {
    return node.vertx().deployVerticle(new HeartbeatVerticle());
  }
}
