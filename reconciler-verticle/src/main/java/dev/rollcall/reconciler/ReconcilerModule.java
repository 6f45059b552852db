package dev.rollcall.reconciler;

import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import io.vertx.core.Future;

/** Deploys the reconciler module on a node. */
public final class ReconcilerModule implements RollcallModule {
  public static final String NAME = "reconciler";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<?> deploy(NodeContext node) {
    return node.vertx().deployVerticle(new ReconcilerVerticle(node));
  }
}
