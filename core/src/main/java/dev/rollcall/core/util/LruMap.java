package dev.rollcall.core.util;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A map that forgets its least recently used entry beyond a size bound: the hot-path caches (credentials,
 * agent snapshots, rate buckets) must not grow with every id a client makes up. Not thread-safe: each
 * cache is confined to one event loop.
 */
public final class LruMap<K, V> extends LinkedHashMap<K, V> {
  private static final long serialVersionUID = 1L;
  private final int maxEntries;

  public LruMap(int maxEntries) {
    super(1024, 0.75f, true);
    this.maxEntries = maxEntries;
  }

  @Override
  protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
    return size() > maxEntries;
  }
}
