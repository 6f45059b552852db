package dev.rollcall.core.util;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;

/**
 * The work a verticle has under way (a dispatch pass, a reconcile tick, a sweep), so that its stop() can
 * refuse new work and wait for what runs: the node closes the pool and Redis only after the last query.
 * Unlike {@link InFlight}, nothing is shared by key: it only counts what a stop must wait for. Confined
 * to the verticle's event loop, like the loops that use it.
 */
public final class Drain {
  private final Set<Future<?>> running = new HashSet<>();
  private boolean closed;

  /** True once {@link #close()} was called: start nothing new. */
  public boolean closed() {
    return closed;
  }

  /** Remembers {@code work} until it completes; returns it. */
  public <T> Future<T> track(Future<T> work) {
    if (!work.isComplete()) {
      running.add(work);
      work.onComplete(ar -> running.remove(work));
    }
    return work;
  }

  /** Refuses new work; completes when everything tracked has completed, failed or not. */
  public Future<Void> close() {
    closed = true;
    return Future.join(new ArrayList<>(running)).<Void>mapEmpty().recover(e -> Future.succeededFuture());
  }
}
