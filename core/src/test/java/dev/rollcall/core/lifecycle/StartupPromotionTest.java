package dev.rollcall.core.lifecycle;

import static dev.rollcall.core.testing.AgentRecordBuilder.agent;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Seed 02's promotion rule, the one both the heartbeat intake and the reconciler apply. */
class StartupPromotionTest {
  private static final Instant T0 = Instant.parse("2026-12-07T00:00:00Z");
  private static final Duration MAX_TRANSITION = Duration.ofMinutes(2);

  @Test
  void aStartingAgentIsPromotedOnceMaxTransitionPassedSinceItRegistered() {
    var registered = agent(LifecycleStatus.STARTING, T0).registeredAt(T0.plusSeconds(10)).build();
    assertThat(StartupPromotion.promoteAt(registered, MAX_TRANSITION)).isEqualTo(T0.plusSeconds(130));
    assertThat(StartupPromotion.due(registered, MAX_TRANSITION, T0.plusSeconds(129))).isFalse();
    assertThat(StartupPromotion.due(registered, MAX_TRANSITION, T0.plusSeconds(130))).isTrue();
  }

  @Test
  void withoutARegistrationTimeTheStatusChangeStandsIn() {
    var unregistered = agent(LifecycleStatus.STARTING, T0).build();
    assertThat(StartupPromotion.promoteAt(unregistered, MAX_TRANSITION)).isEqualTo(T0.plus(MAX_TRANSITION));
    assertThat(StartupPromotion.due(unregistered, MAX_TRANSITION, T0.plus(MAX_TRANSITION))).isTrue();
  }

  @Test
  void onlyAStartingAgentIsPromoted() {
    for (LifecycleStatus status : LifecycleStatus.values()) {
      var old = agent(status, T0).registeredAt(T0).build();
      assertThat(StartupPromotion.due(old, MAX_TRANSITION, T0.plus(Duration.ofHours(1)))).as(status.wireName())
          .isEqualTo(status == LifecycleStatus.STARTING);
    }
  }
}
