package dev.rollcall.provisioner;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * single-flight provisioning, wake, fenced dispatch with rollback.
 *
 * <p>Not built yet (issue 5): it deploys so that the node's wiring is complete, registers no
 * consumer and serves no route, so nothing can mistake it for working.
 */
public final class ProvisionerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ProvisionerVerticle.class);

  @Override
  public Future<?> start() {
    LOG.atInfo().addKeyValue("event", "verticle.deployed").addKeyValue("verticle", "provisioner-verticle")
        .log("deployed with no behaviour yet (issue 5)");
    return Future.succeededFuture();
  }
}
