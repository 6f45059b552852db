package dev.rollcall.heartbeat;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * authenticated heartbeat intake, liveness as a cheap lease.
 *
 * <p>Not built yet (issue 4): it deploys so that the node's wiring is complete, registers no
 * consumer and serves no route, so nothing can mistake it for working.
 */
public final class HeartbeatVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HeartbeatVerticle.class);

  @Override
  public Future<?> start() {
    LOG.atInfo().addKeyValue("event", "verticle.deployed").addKeyValue("verticle", "heartbeat-verticle")
        .log("deployed with no behaviour yet (issue 4)");
    return Future.succeededFuture();
  }
}
