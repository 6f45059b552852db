package dev.rollcall.core.util;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one-run-at-a-time loop the reconciler's tick and sweep and the dispatcher's pass share. */
class OneAtATimeTest {
  /** Each run is a promise the test completes by hand, so "under way" lasts exactly as long as the test says. */
  private final List<Promise<Void>> runs = new ArrayList<>();
  private int underWay;
  private int mostAtOnce;
  private final Drain drain = new Drain();
  private final OneAtATime loop = new OneAtATime(drain, () -> {
    Promise<Void> run = Promise.promise();
    runs.add(run);
    underWay++;
    mostAtOnce = Math.max(mostAtOnce, underWay);
    return run.future().andThen(ar -> underWay--);
  });

  @Test
  void aTimerSkipsWhileARunIsUnderWay() {
    loop.runIfIdle();
    loop.runIfIdle();
    assertThat(runs).hasSize(1);
    runs.get(0).complete();
    loop.runIfIdle();
    assertThat(runs).hasSize(2);
  }

  @Test
  void triggersDuringARunBecomeOneMoreRunAfterIt() {
    loop.runSoon();
    loop.runSoon();
    loop.runSoon();
    assertThat(runs).hasSize(1);
    runs.get(0).complete();
    assertThat(runs).as("one rerun for the two triggers").hasSize(2);
    runs.get(1).complete();
    assertThat(runs).hasSize(2);
    assertThat(mostAtOnce).isEqualTo(1);
  }

  @Test
  void aRunOfOnesOwnStartsAfterTheOneUnderWayAndNeverBesideAnother() {
    loop.runIfIdle();
    Future<Void> first = loop.runNext();
    Future<Void> second = loop.runNext();
    assertThat(runs).hasSize(1);
    runs.get(0).complete();
    assertThat(runs).as("the first caller's run").hasSize(2);
    assertThat(first.isComplete()).isFalse();
    runs.get(1).complete();
    assertThat(first.succeeded()).isTrue();
    assertThat(second.isComplete()).as("the second caller waited for the first's run, then started its own").isFalse();
    assertThat(runs).hasSize(3);
    runs.get(2).complete();
    assertThat(second.succeeded()).isTrue();
    assertThat(mostAtOnce).isEqualTo(1);
  }

  @Test
  void nothingStartsOnceTheDrainClosedAndTheCloseWaitsForTheRunUnderWay() {
    loop.runIfIdle();
    Future<Void> closed = drain.close();
    assertThat(closed.isComplete()).isFalse();
    loop.runSoon();
    runs.get(0).complete();
    assertThat(closed.succeeded()).isTrue();
    assertThat(loop.runNext().succeeded()).isTrue();
    assertThat(runs).hasSize(1);
  }
}
