package dev.rollcall.reconciler;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * due queue, wake escalation, stuck-state rescue.
 *
 * <p>Not built yet (issue 6): it deploys so that the node's wiring is complete, registers no
 * consumer and serves no route, so nothing can mistake it for working.
 */
public final class ReconcilerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ReconcilerVerticle.class);

  @Override
  public Future<?> start() {
    LOG.atInfo().addKeyValue("event", "verticle.deployed").addKeyValue("verticle", "reconciler-verticle")
        .log("deployed with no behaviour yet (issue 6)");
    return Future.succeededFuture();
  }
}
