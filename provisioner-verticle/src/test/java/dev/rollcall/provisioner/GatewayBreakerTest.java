package dev.rollcall.provisioner;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The breaker's states, with time passed in: no sleeping. */
class GatewayBreakerTest {
  private final UUID gw = UUID.randomUUID();
  private final GatewayBreaker breaker = new GatewayBreaker(3, Duration.ofSeconds(5), Duration.ofSeconds(30));
  private final Instant t0 = Instant.parse("2026-11-23T12:00:00Z");

  @Test
  void opensAfterConsecutiveFailuresProbesAfterTheCooldownAndClosesOnASuccess() {
    assertThat(breaker.failed(gw, t0)).isFalse();
    assertThat(breaker.failed(gw, t0)).isFalse();
    assertThat(breaker.allows(gw, t0)).isTrue();
    assertThat(breaker.failed(gw, t0)).as("third failure opens it").isTrue();
    assertThat(breaker.state(gw, t0)).isEqualTo(GatewayBreaker.State.OPEN);
    assertThat(breaker.allows(gw, t0.plusSeconds(4))).isFalse();

    Instant later = t0.plusSeconds(5);
    assertThat(breaker.state(gw, later)).isEqualTo(GatewayBreaker.State.HALF_OPEN);
    assertThat(breaker.allows(gw, later)).isTrue();
    breaker.dispatched(gw, later);
    assertThat(breaker.allows(gw, later)).as("one probe at a time").isFalse();
    assertThat(breaker.succeeded(gw)).isTrue();
    assertThat(breaker.state(gw, later)).isEqualTo(GatewayBreaker.State.CLOSED);
    assertThat(breaker.notClosed()).isZero();
  }

  @Test
  void aFailedProbeReopensForTwiceAsLongUpToTwelveTimesTheBase() {
    for (int i = 0; i < 3; i++) {
      breaker.failed(gw, t0);
    }
    Instant now = t0;
    long[] expectedCooldowns = {10, 20, 40, 60, 60};
    now = now.plusSeconds(5);
    for (long cooldown : expectedCooldowns) {
      assertThat(breaker.allows(gw, now)).isTrue();
      breaker.dispatched(gw, now);
      assertThat(breaker.failed(gw, now)).isTrue();
      assertThat(breaker.allows(gw, now.plusSeconds(cooldown - 1))).isFalse();
      now = now.plusSeconds(cooldown);
      assertThat(breaker.allows(gw, now)).isTrue();
    }
    // A failure of a start sent before the circuit opened does not re-open it or extend it.
    assertThat(breaker.failed(gw, now)).isFalse();
    assertThat(breaker.notClosed()).isEqualTo(1);
  }

  @Test
  void aSuccessResetsTheCountOfFailures() {
    breaker.failed(gw, t0);
    breaker.failed(gw, t0);
    breaker.succeeded(gw);
    assertThat(breaker.failed(gw, t0)).isFalse();
    assertThat(breaker.failed(gw, t0)).isFalse();
    assertThat(breaker.state(gw, t0)).isEqualTo(GatewayBreaker.State.CLOSED);
  }

  @Test
  void aProbeWhoseOutcomeThisNodeNeverSeesStopsHoldingTheCircuitAfterTheProbeTimeout() {
    for (int i = 0; i < 3; i++) {
      breaker.failed(gw, t0);
    }
    assertThat(breaker.blocked(t0)).containsExactly(gw);
    Instant probe = t0.plusSeconds(5);
    breaker.dispatched(gw, probe); // another node's dispatcher carries it out and settles it
    assertThat(breaker.allows(gw, probe.plusSeconds(29))).isFalse();
    assertThat(breaker.allows(gw, probe.plusSeconds(30))).isTrue();
    assertThat(breaker.blocked(probe.plusSeconds(30))).isEmpty();
  }
}
