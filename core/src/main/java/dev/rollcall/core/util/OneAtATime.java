package dev.rollcall.core.util;

import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * A loop's work that runs one at a time (a reconcile tick, a sweep): the periodic timer skips a round
 * while one runs, and a caller that needs a run of its own (a test that moved the clock) gets one that
 * starts after the run under way. Every run is tracked by the verticle's {@link Drain}, and none starts
 * once it closed. Confined to the loop's event loop.
 */
public final class OneAtATime {
  private final Drain drain;
  private final Supplier<? extends Future<?>> work;
  /** The run under way; null when none. */
  private Future<Void> running;

  public OneAtATime(Drain drain, Supplier<? extends Future<?>> work) {
    this.drain = drain;
    this.work = work;
  }

  /** Runs the work unless a run is under way (what a periodic timer calls). */
  public void runIfIdle() {
    if (running == null) {
      start();
    }
  }

  /** Runs the work now, or right after the run under way; completes when that run has ended. */
  public Future<Void> runNext() {
    return (running == null ? Future.<Void>succeededFuture() : running).transform(ar -> start());
  }

  private Future<Void> start() {
    if (drain.closed()) {
      return Future.succeededFuture();
    }
    // Cleared before anyone chained on the run hears of its end, so that their run starts afresh.
    Future<Void> run = drain.track(work.get()).<Void>mapEmpty().andThen(ar -> running = null);
    running = run.isComplete() ? null : run;
    return run;
  }
}
