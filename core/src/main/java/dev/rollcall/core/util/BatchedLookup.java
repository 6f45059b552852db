package dev.rollcall.core.util;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads by key, many keys per query, by group commit: a lookup is sent at once when fewer than
 * {@code maxInFlight} queries are under way, else with the next query, sent when one returns. Idle or
 * lightly loaded it adds no wait; under load one query carries all that arrived during a round trip
 * (up to {@code maxBatch}). A node that restarts with 100,000 agents meets every agent's first
 * heartbeat within one interval, each needing its record: one query per agent was a storm that held
 * heartbeats for tens of seconds behind the pool (BENCHMARKS.md, "100,000 agents live").
 *
 * <p>A key the query does not return completes with null; a failed query fails every lookup it carried.
 * Not thread-safe: confined to its event loop, like {@link InFlight}.
 */
public final class BatchedLookup<K, V> {
  private final int maxBatch;
  private final int maxInFlight;
  private final Function<List<K>, Future<Map<K, V>>> load;
  /** Lookups not sent yet; a key asked for twice meanwhile shares one. */
  private final Map<K, Promise<V>> waiting = new LinkedHashMap<>();
  private int inFlight;

  /** @param load reads the keys given and answers those found (keys missing from its map were not) */
  public BatchedLookup(int maxBatch, int maxInFlight, Function<List<K>, Future<Map<K, V>>> load) {
    if (maxBatch < 1 || maxInFlight < 1) {
      throw new IllegalArgumentException("maxBatch and maxInFlight must be at least 1");
    }
    this.maxBatch = maxBatch;
    this.maxInFlight = maxInFlight;
    this.load = load;
  }

  /** The value of {@code key}, or null if there is none. */
  public Future<V> get(K key) {
    Promise<V> lookup = waiting.computeIfAbsent(key, k -> Promise.promise());
    if (inFlight < maxInFlight) {
      send();
    }
    return lookup.future();
  }

  private void send() {
    if (waiting.isEmpty()) {
      return;
    }
    List<K> keys = new ArrayList<>(Math.min(waiting.size(), maxBatch));
    List<Promise<V>> lookups = new ArrayList<>(keys.size());
    var it = waiting.entrySet().iterator();
    while (it.hasNext() && keys.size() < maxBatch) {
      Map.Entry<K, Promise<V>> e = it.next();
      keys.add(e.getKey());
      lookups.add(e.getValue());
      it.remove();
    }
    inFlight++;
    Future<Map<K, V>> loaded;
    try {
      loaded = load.apply(keys);
    } catch (RuntimeException e) {
      loaded = Future.failedFuture(e);
    }
    loaded.onComplete(ar -> {
      inFlight--;
      for (int i = 0; i < keys.size(); i++) {
        if (ar.succeeded()) {
          lookups.get(i).complete(ar.result().get(keys.get(i)));
        } else {
          lookups.get(i).fail(ar.cause());
        }
      }
      while (inFlight < maxInFlight && !waiting.isEmpty()) {
        send();
      }
    });
  }
}
