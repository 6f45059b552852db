package dev.rollcall.provisioner;

import dev.rollcall.core.http.RouteContributor;
import dev.rollcall.core.http.RouteScope;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import io.vertx.core.Future;
import java.util.List;

/** Deploys the provisioner on a node and contributes the operator API for gateways, agents and tasks. */
public final class ProvisionerModule implements RollcallModule {
  public static final String NAME = "provisioner";
  /** The verticle this module deployed last, for this package's tests to drive (see {@link ProvisionerVerticle#dispatchPassNow()}). */
  private volatile ProvisionerVerticle deployed;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<?> deploy(NodeContext node) {
    deployed = new ProvisionerVerticle(node);
    return node.vertx().deployVerticle(deployed);
  }

  /** The provisioner this module deployed (null before {@link #deploy}). */
  ProvisionerVerticle verticle() {
    return deployed;
  }

  @Override
  public List<RouteContributor> routes(RouteScope scope) {
    return List.of(new ProvisionerRoutes(scope.node(), scope.verifier()));
  }
}
