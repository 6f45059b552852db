package dev.rollcall.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class HeartbeatRateLimiterTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void everyCredentialKeepsItsOwnBucketHoweverTheAgentAlternatesBetweenThem() {
    HeartbeatRateLimiter limiter = new HeartbeatRateLimiter(Duration.ofSeconds(10), 5, 4);
    UUID old = UUID.randomUUID();
    UUID renewed = UUID.randomUUID();
    HeartbeatRateLimiter.Bucket held = null;
    int allowed = 0;
    // Alternating credentials at one instant: a swap must neither refill nor share a bucket.
    for (int i = 0; i < 40; i++) {
      held = limiter.bucketFor(held, i % 2 == 0 ? old : renewed, 0);
      allowed += limiter.tryAcquire(held, 0) ? 1 : 0;
    }
    assertThat(allowed).as("a burst of 5 each").isEqualTo(10);
    held = limiter.bucketFor(held, UUID.randomUUID(), 0);
    assertThat(limiter.tryAcquire(held, 0)).as("a third credential has its own").isTrue();

    // 4 per 10 s interval: after 5 s, two more for the old credential, none saved up beyond that.
    held = limiter.bucketFor(held, old, 5 * SECOND);
    assertThat(limiter.tryAcquire(held, 5 * SECOND)).isTrue();
    assertThat(limiter.tryAcquire(held, 5 * SECOND)).isTrue();
    assertThat(limiter.tryAcquire(held, 5 * SECOND)).isFalse();
  }
}
