package dev.rollcall.token;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * one-time bootstrap tickets, agent credentials, rotation.
 *
 * <p>Not built yet (issue 3): it deploys so that the node's wiring is complete, registers no
 * consumer and serves no route, so nothing can mistake it for working.
 */
public final class TokenVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(TokenVerticle.class);

  @Override
  public Future<?> start() {
    LOG.atInfo().addKeyValue("event", "verticle.deployed").addKeyValue("verticle", "token-verticle")
        .log("deployed with no behaviour yet (issue 3)");
    return Future.succeededFuture();
  }
}
