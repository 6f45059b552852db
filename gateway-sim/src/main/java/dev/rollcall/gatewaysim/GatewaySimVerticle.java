package dev.rollcall.gatewaysim;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * simulated gateways and agents with fault profiles.
 *
 * <p>Not built yet (issue 7): it deploys so that the node's wiring is complete, registers no
 * consumer and serves no route, so nothing can mistake it for working.
 */
public final class GatewaySimVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(GatewaySimVerticle.class);

  @Override
  public Future<?> start() {
    LOG.atInfo().addKeyValue("event", "verticle.deployed").addKeyValue("verticle", "gateway-sim")
        .log("deployed with no behaviour yet (issue 7)");
    return Future.succeededFuture();
  }
}
