package dev.rollcall.heartbeat;

import dev.rollcall.core.util.LruMap;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * A token bucket per credential: an agent may heartbeat a few times faster than it is told (restarts,
 * retries) but not far faster. Local to an event loop; a client spreading over connections lands on
 * several loops and gets at most a few times the allowance, which is still bounded.
 *
 * <p>The caller keeps, with each agent, the bucket of the credential it last heartbeated with
 * ({@link #bucketFor}), so the steady heartbeat costs no lookup here. Another credential of the same
 * agent (a rotation's overlap, a second instance) swaps its bucket in and parks the other one: every
 * credential keeps its own bucket however the agent alternates.
 */
final class HeartbeatRateLimiter {
  private static final int MAX_PARKED = 100_000;
  private final double capacity;
  private final double refillPerNano;
  private final Map<UUID, Bucket> parked = new LruMap<>(MAX_PARKED);

  /** Allows a burst of {@code burst} and a sustained rate of {@code perInterval} per heartbeat interval. */
  HeartbeatRateLimiter(Duration interval, int burst, int perInterval) {
    this.capacity = burst;
    this.refillPerNano = perInterval / (double) interval.toNanos();
  }

  /**
   * The bucket of {@code credentialId}: {@code held} when it is that credential's, else the parked one
   * (or a full new one), with {@code held} parked in its place.
   */
  Bucket bucketFor(Bucket held, UUID credentialId, long nowNanos) {
    if (held != null && held.credentialId.equals(credentialId)) {
      return held;
    }
    if (held != null) {
      parked.put(held.credentialId, held);
    }
    Bucket bucket = parked.remove(credentialId);
    return bucket != null ? bucket : new Bucket(credentialId, capacity, nowNanos);
  }

  boolean tryAcquire(Bucket b, long nowNanos) {
    b.tokens = Math.min(capacity, b.tokens + (nowNanos - b.refilledAt) * refillPerNano);
    b.refilledAt = nowNanos;
    if (b.tokens < 1) {
      return false;
    }
    b.tokens -= 1;
    return true;
  }

  /** One credential's allowance. Confined to the limiter's event loop. */
  static final class Bucket {
    private final UUID credentialId;
    private double tokens;
    private long refilledAt;

    private Bucket(UUID credentialId, double tokens, long refilledAt) {
      this.credentialId = credentialId;
      this.tokens = tokens;
      this.refilledAt = refilledAt;
    }
  }
}
