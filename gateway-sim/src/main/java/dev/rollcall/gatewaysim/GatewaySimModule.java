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
  /** The seed of the dev stack's simulator, and of {@code serve --verticles gateway-sim} without {@code --sim-seed}. */
  public static final long DEFAULT_SEED = 42;

  private final long seed;
  private GatewaySimVerticle verticle;
  private dev.rollcall.core.config.RollcallConfig config;

  public GatewaySimModule() {
    this(DEFAULT_SEED);
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
    config = node.config();
    verticle = new GatewaySimVerticle(config.simHost(), config.simPort(), seed, node.config().checkinDeadline(),
        node.config().checkinDeadline().multipliedBy(4).plus(Duration.ofSeconds(5)));
    return node.vertx().deployVerticle(verticle);
  }

  /** The simulator's URL as provisioners reach it (simPublicUrl), once deployed. */
  public String url() {
    return config.simPublicUrl(verticle.port());
  }
}
