package dev.rollcall.core.util;

import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * A loop's work that runs one at a time (a reconcile tick, a sweep, a dispatch pass). A periodic timer
 * skips a round while one runs ({@link #runIfIdle}); a trigger that must not be lost (a task was queued)
 * asks for one more run after the one under way, however many ask meanwhile ({@link #runSoon}); a caller
 * that needs a run of its own (a test that moved the clock) gets one that starts after the run under way
 * and hears when it ended ({@link #runNext}). Runs never overlap. Every run is tracked by the verticle's
 * {@link Drain}, and none starts once it closed. Confined to the loop's event loop.
 */
public final class OneAtATime {
  private final Drain drain;
  private final Supplier<? extends Future<?>> work;
  /** The run under way; null when none. */
  private Future<Void> running;
  /** One more run is wanted once the one under way ends. */
  private boolean again;

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

  /** Runs the work now, or once more right after the run under way (a burst of triggers is one more run). */
  public void runSoon() {
    if (running == null) {
      start();
    } else {
      again = true;
    }
  }

  /** Runs the work now, or after the run under way; completes when the run it started has ended. */
  public Future<Void> runNext() {
    // Whoever starts first once the run under way ended (a runSoon rerun), this call waits for theirs too.
    return running == null ? start() : running.transform(ar -> runNext());
  }

  private Future<Void> start() {
    again = false;
    if (drain.closed()) {
      return Future.succeededFuture();
    }
    Future<Void> run = drain.track(work.get()).mapEmpty();
    running = run;
    // Registered before any caller's own callbacks on the run: they find the loop idle (or the rerun started).
    run.onComplete(ar -> {
      if (running == run) {
        running = null;
      }
      if (again) {
        start();
      }
    });
    return run;
  }
}
