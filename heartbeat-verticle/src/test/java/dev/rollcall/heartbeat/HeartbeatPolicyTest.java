package dev.rollcall.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.persistence.AgentRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The heartbeat rules, without a clock or a database. */
class HeartbeatPolicyTest {
  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  private static final Duration MAX_TRANSITION = Duration.ofMinutes(2);
  private static final Duration COALESCE = Duration.ofSeconds(60);

  @Test
  void seed02FreshStartingHeartbeatAfterMaxTransitionPromotesToReady() {
    AgentRecord starting = agent(LifecycleStatus.STARTING, NOW.minus(Duration.ofMinutes(10)), 0, null, NOW.minusSeconds(5));
    HeartbeatPolicy.Decision d = decide(starting, HeartbeatReport.Reported.STARTING, NOW.minusSeconds(5));
    assertThat(d.trigger()).isEqualTo(LifecycleTrigger.STARTUP_PROMOTED);
    assertThat(d.transition().to()).isEqualTo(LifecycleStatus.READY);
    assertThat(d.change()).isNotNull();
  }

  @Test
  void startingWithinMaxTransitionStaysStartingAndIsNotWrittenWhenNothingChanged() {
    AgentRecord starting = agent(LifecycleStatus.STARTING, NOW.minusSeconds(30), 0, null, NOW.minusSeconds(5));
    HeartbeatPolicy.Decision d = decide(starting, HeartbeatReport.Reported.STARTING, NOW.minusSeconds(5));
    assertThat(d.trigger()).isEqualTo(LifecycleTrigger.REPORTED_STARTING);
    assertThat(d.transition().changesStatus()).isFalse();
    assertThat(d.change()).isNull();
  }

  @Test
  void seed02RegressiveStartingNeverDowngradesReadyOrDegraded() {
    for (LifecycleStatus up : new LifecycleStatus[] {LifecycleStatus.READY, LifecycleStatus.DEGRADED}) {
      HeartbeatPolicy.Decision d = decide(agent(up, NOW.minusSeconds(600), 0, null, NOW.minusSeconds(5)),
          HeartbeatReport.Reported.STARTING, NOW.minusSeconds(5));
      assertThat(d.transition().to()).isEqualTo(up);
      assertThat(d.change()).isNull();
    }
  }

  @Test
  void degradedComesAndGoesAndStoppingIsHonoured() {
    AgentRecord ready = agent(LifecycleStatus.READY, NOW.minusSeconds(600), 0, null, NOW.minusSeconds(5));
    assertThat(decide(ready, HeartbeatReport.Reported.DEGRADED, NOW.minusSeconds(5)).transition().to()).isEqualTo(LifecycleStatus.DEGRADED);
    AgentRecord degraded = agent(LifecycleStatus.DEGRADED, NOW.minusSeconds(600), 0, null, NOW.minusSeconds(5));
    assertThat(decide(degraded, HeartbeatReport.Reported.READY, NOW.minusSeconds(5)).transition().to()).isEqualTo(LifecycleStatus.READY);
    assertThat(decide(ready, HeartbeatReport.Reported.STOPPING, NOW.minusSeconds(5)).transition().to()).isEqualTo(LifecycleStatus.OFFLINE);
  }

  @Test
  void firstCheckInAfterAWakeResetsEscalation() {
    AgentRecord waking = agent(LifecycleStatus.WAKING, null, 2, NOW.plusSeconds(10), null);
    HeartbeatPolicy.Decision d = decide(waking, HeartbeatReport.Reported.STARTING, null);
    assertThat(d.checkedInAfterWake()).isTrue();
    assertThat(d.change().toString()).contains("WAKE_ATTEMPTS").contains("CHECKIN_DEADLINE");
  }

  @Test
  void lastSeenReachesTheDatabaseCoalesced() {
    AgentRecord ready = agent(LifecycleStatus.READY, NOW.minusSeconds(600), 0, null, null);
    Duration period = HeartbeatPolicy.lastSeenPeriod(ready.id(), COALESCE);
    assertThat(decide(ready, HeartbeatReport.Reported.READY, NOW.minus(period).plusMillis(1)).lastSeenDue()).isFalse();
    // Due: for the batch, not a transaction of its own (LastSeenWriter).
    HeartbeatPolicy.Decision due = decide(ready, HeartbeatReport.Reported.READY, NOW.minus(period));
    assertThat(due.lastSeenDue()).isTrue();
    assertThat(due.change()).isNull();
    assertThat(decide(ready, HeartbeatReport.Reported.READY, null).lastSeenDue()).isTrue();
    // A heartbeat that changes something carries last_seen_at in its own write.
    HeartbeatPolicy.Decision promoted = decide(agent(LifecycleStatus.STARTING, NOW.minusSeconds(600), 0, null, null),
        HeartbeatReport.Reported.READY, null);
    assertThat(promoted.change().toString()).contains("LAST_SEEN_AT");
    assertThat(promoted.lastSeenDue()).isFalse();
  }

  @Test
  void lastSeenPeriodsAreSpreadSoAFleetThatStartedTogetherDoesNotWriteTogether() {
    java.util.Set<Duration> periods = new java.util.HashSet<>();
    for (int i = 0; i < 1000; i++) {
      Duration p = HeartbeatPolicy.lastSeenPeriod(java.util.UUID.randomUUID(), Duration.ofSeconds(60));
      assertThat(p).isBetween(Duration.ofSeconds(60), Duration.ofSeconds(72));
      periods.add(p);
    }
    assertThat(periods).hasSizeGreaterThan(100);
    java.util.UUID one = java.util.UUID.randomUUID();
    assertThat(HeartbeatPolicy.lastSeenPeriod(one, COALESCE)).isEqualTo(HeartbeatPolicy.lastSeenPeriod(one, COALESCE));
  }

  @Test
  void templateBehindTheGatewaysIsFlagged() {
    AgentRecord ready = agent(LifecycleStatus.READY, NOW.minusSeconds(600), 0, null, null);
    HeartbeatPolicy.Decision d = HeartbeatPolicy.decide(ready, new HeartbeatReport(HeartbeatReport.Reported.READY, 2, null), 3,
        NOW.minusSeconds(5), NOW, MAX_TRANSITION, COALESCE);
    assertThat(d.templateSyncRequired()).isTrue();
    assertThat(d.change().toString()).contains("NEEDS_TEMPLATE_SYNC").contains("TEMPLATE_VERSION");
  }

  @Test
  void deletedAgentHasNoLegalHeartbeat() {
    AgentRecord deleted = agent(LifecycleStatus.DELETED, NOW.minusSeconds(600), 0, null, null);
    assertThat(decide(deleted, HeartbeatReport.Reported.READY, null).transition()).isNull();
  }

  private static HeartbeatPolicy.Decision decide(AgentRecord agent, HeartbeatReport.Reported status, Instant lastSeenWritten) {
    return HeartbeatPolicy.decide(agent, new HeartbeatReport(status, null, null), 1, lastSeenWritten, NOW, MAX_TRANSITION, COALESCE);
  }

  private static AgentRecord agent(LifecycleStatus status, Instant registeredAt, int wakeAttempts, Instant deadline, Instant lastSeen) {
    return new AgentRecord(UUID.randomUUID(), UUID.randomUUID(), "a", status, null, NOW.minusSeconds(900), 3, 1, wakeAttempts,
        deadline, lastSeen, null, registeredAt, null, 1, false, false, null, 0, null, NOW.minusSeconds(900), NOW.minusSeconds(900));
  }
}
