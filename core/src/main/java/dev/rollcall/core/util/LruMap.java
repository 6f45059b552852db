package dev.rollcall.core.util;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A map that forgets its least recently used entry beyond a size bound: the hot-path caches (credentials,
 * agent snapshots, rate buckets) must not grow with every id a client makes up. Not thread-safe: each
 * cache is confined to one event loop.
 */
public final class LruMap<K, V> extends LinkedHashMap<K, V> {
  private static final long serialVersionUID = 1L;
  private final int maxEntries;
  private final transient Consumer<V> onEvicted;

  public LruMap(int maxEntries) {
    this(maxEntries, evicted -> { });
  }

  /** {@code onEvicted} is told of each value forgotten for the size bound (not of removals). */
  public LruMap(int maxEntries, Consumer<V> onEvicted) {
    super(1024, 0.75f, true);
    this.maxEntries = maxEntries;
    this.onEvicted = onEvicted;
  }

  @Override
  protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
    if (size() > maxEntries) {
      if (onEvicted != null) { // null only in a deserialised copy, which these event-loop caches never are
        onEvicted.accept(eldest.getValue());
      }
      return true;
    }
    return false;
  }
}
