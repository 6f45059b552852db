package dev.rollcall.heartbeat;

import dev.rollcall.core.util.LruMap;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * A token bucket per credential: an agent may heartbeat a few times faster than it is told (restarts,
 * retries) but not far faster. Local to an event loop; a client spreading over connections lands on
 * several loops and gets at most a few times the allowance, which is still bounded.
 */
final class HeartbeatRateLimiter {
  private static final int MAX_TRACKED = 500_000;
  private final double capacity;
  private final double refillPerNano;
  private final Map<UUID, double[]> buckets = new LruMap<>(MAX_TRACKED);

  /** Allows a burst of {@code burst} and a sustained rate of {@code perInterval} per heartbeat interval. */
  HeartbeatRateLimiter(Duration interval, int burst, int perInterval) {
    this.capacity = burst;
    this.refillPerNano = perInterval / (double) interval.toNanos();
  }

  boolean tryAcquire(UUID credentialId, long nowNanos) {
    double[] b = buckets.computeIfAbsent(credentialId, id -> new double[] {capacity, nowNanos});
    b[0] = Math.min(capacity, b[0] + (nowNanos - b[1]) * refillPerNano);
    b[1] = nowNanos;
    if (b[0] < 1) {
      return false;
    }
    b[0] -= 1;
    return true;
  }
}
