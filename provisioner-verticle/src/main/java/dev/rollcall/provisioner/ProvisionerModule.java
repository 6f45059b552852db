package dev.rollcall.provisioner;

import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import io.vertx.core.Future;

/** Deploys the provisioner module on a node. */
public final class ProvisionerModule implements RollcallModule {
  public static final String NAME = "provisioner";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<?> deploy(NodeContext node) {
    return node.vertx().deployVerticle(new ProvisionerVerticle());
  }
}
