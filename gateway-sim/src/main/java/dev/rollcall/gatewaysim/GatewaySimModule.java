package dev.rollcall.gatewaysim;

import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import io.vertx.core.Future;
import java.time.Duration;

/**
 * Deploys the gateway simulator on a node (dev and chaos runs). It listens on its own port; the fleet
 * behind it is created through the operator API like any other ({@code DevFleet}, {@code rollcall chaos}).
 */
public final class GatewaySimModule implements RollcallModule {
  public static final String NAME = "gateway-sim";

  private final long seed;
  private GatewaySimVerticle verticle;

  public GatewaySimModule() {
    this(42);
  }

  public GatewaySimModule(long seed) {
    this.seed = seed;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<?> deploy(NodeContext node) {
    verticle = new GatewaySimVerticle("127.0.0.1", 0, seed, node.config().checkinDeadline(),
        node.config().checkinDeadline().multipliedBy(4).plus(Duration.ofSeconds(5)));
    return node.vertx().deployVerticle(verticle);
  }

  /** The simulator's URL once deployed. */
  public String url() {
    return verticle.url();
  }
}
