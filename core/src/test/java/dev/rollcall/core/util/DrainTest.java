package dev.rollcall.core.util;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;

class DrainTest {

  @Test
  void closeWaitsForTrackedWorkAndRefusesNewWork() {
    Drain underWay = new Drain();
    Promise<Void> pass = Promise.promise();
    Promise<Void> failing = Promise.promise();
    underWay.track(pass.future());
    underWay.track(failing.future());
    underWay.track(Future.succeededFuture());
    assertThat(underWay.closed()).isFalse();

    Future<Void> closed = underWay.close();
    assertThat(underWay.closed()).isTrue();
    assertThat(closed.isComplete()).as("a pass is still under way").isFalse();
    failing.fail("the pool went away");
    assertThat(closed.isComplete()).isFalse();
    pass.complete();
    assertThat(closed.succeeded()).as("completes once all ended, failed or not").isTrue();
  }

  @Test
  void closeWithNothingUnderWayCompletesAtOnce() {
    Drain underWay = new Drain();
    Promise<Void> done = Promise.promise();
    underWay.track(done.future());
    done.complete();
    assertThat(underWay.close().succeeded()).isTrue();
  }
}
