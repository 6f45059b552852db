package dev.rollcall.reconciler;

import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import io.vertx.core.Future;

/** Deploys the reconciler module on a node. */
public final class ReconcilerModule implements RollcallModule {
  public static final String NAME = "reconciler";
  /** The verticle this module deployed last, for this package's tests to drive (see {@link ReconcilerVerticle#runNow}). */
  private volatile ReconcilerVerticle deployed;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<?> deploy(NodeContext node) {
    deployed = new ReconcilerVerticle(node);
    return node.vertx().deployVerticle(deployed);
  }

  /** The reconciler this module deployed (null before {@link #deploy}). */
  ReconcilerVerticle verticle() {
    return deployed;
  }
}
