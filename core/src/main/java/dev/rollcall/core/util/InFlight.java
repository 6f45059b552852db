package dev.rollcall.core.util;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Work under way per key, shared by whoever asks for the same key meanwhile (single flight on one event
 * loop). Each piece of work gets a deadline: others wait on it, so a query stuck on a half-open
 * connection must not hold them longer than that. Not thread-safe: confined to its event loop.
 */
public final class InFlight<K, V> {
  private final Map<K, Future<V>> underWay = new HashMap<>();
  private final long timeoutMillis;

  public InFlight(Duration timeout) {
    this.timeoutMillis = timeout.toMillis();
  }

  /** The work under way for the key, or null. */
  public Future<V> get(K key) {
    return underWay.get(key);
  }

  /** The work under way for the key, or {@code work} started now and shared until it completes. */
  public Future<V> join(K key, Supplier<Future<V>> work) {
    Future<V> current = underWay.get(key);
    return current != null ? current : start(key, work);
  }

  /** Starts {@code work} and shares it until it completes (replacing, for later callers, any under way). */
  public Future<V> start(K key, Supplier<Future<V>> work) {
    Future<V> started = work.get().timeout(timeoutMillis, TimeUnit.MILLISECONDS);
    underWay.put(key, started);
    started.onComplete(done -> underWay.remove(key, started));
    return started;
  }
}
