package dev.rollcall.reconciler;

import static dev.rollcall.core.lifecycle.LifecycleStatus.BUSY;
import static dev.rollcall.core.lifecycle.LifecycleStatus.DELETED;
import static dev.rollcall.core.lifecycle.LifecycleStatus.OFFLINE;
import static dev.rollcall.core.lifecycle.LifecycleStatus.PROVISIONING;
import static dev.rollcall.core.lifecycle.LifecycleStatus.READY;
import static dev.rollcall.core.lifecycle.LifecycleStatus.STARTING;
import static dev.rollcall.core.lifecycle.LifecycleStatus.WAKING;
import static dev.rollcall.core.testing.AgentRecordBuilder.agent;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.lifecycle.LifecycleEventNames;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTable;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.testing.AgentRecordBuilder;
import dev.rollcall.reconciler.Reconciliation.Action;
import dev.rollcall.reconciler.Reconciliation.Apply;
import dev.rollcall.reconciler.Reconciliation.Decision;
import dev.rollcall.reconciler.Reconciliation.Observation;
import dev.rollcall.reconciler.Reconciliation.Policy;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The reconciler's policy, rule by rule, with time as a plain argument: check-in deadline 30 s, 3 wakes,
 * max_transition 2 m, lease 30 s (3 × 10 s heartbeats), suspicion 10 s, provisioning limit 15 s, busy
 * without a task 60 s, recovery probes 5 m doubling to 1 h; suspicion window 20 s.
 */
class ReconciliationTest {
  private static final Instant T0 = Instant.parse("2026-11-23T12:00:00Z");
  private static final Policy POLICY = Policy.of(RollcallConfig.of(Map.of()));
  private static final Instant LONG_AGO = T0.minus(Duration.ofDays(1));

  // --- seed 01: wake escalation -------------------------------------------------------------------

  @Test
  void beforeTheDeadlineThePassIsDeferredWithSeed01sEvent() {
    AgentRecord waking = agent(WAKING, T0).wakeAttempts(1).checkinDeadline(T0.plusSeconds(30)).build();
    Decision d = decide(waking, T0.plusSeconds(29));
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.DEFERRED);
    assertThat(d.nextLook()).isEqualTo(T0.plusSeconds(30));
    assertThat(d.actions()).singleElement().isInstanceOfSatisfying(Reconciliation.Note.class,
        n -> assertThat(n.eventName()).isEqualTo(LifecycleEventNames.RECONCILE_DEFERRED));
  }

  @Test
  void aMissedDeadlineWakesAgainUntilTheThirdWake() {
    for (int attempt = 1; attempt <= 2; attempt++) {
      AgentRecord waking = agent(WAKING, T0).wakeAttempts(attempt).checkinDeadline(T0.plusSeconds(30)).build();
      Decision d = decide(waking, T0.plusSeconds(30));
      assertThat(d.outcome()).isEqualTo(ReconcileOutcome.RETRIGGERED);
      assertThat(d.actions()).singleElement().isInstanceOf(Reconciliation.Wake.class);
      assertThat(d.nextLook()).isEqualTo(T0.plusSeconds(60));
    }
  }

  @Test
  void theThirdMissedDeadlineIsOfflineWithTheErrorAndARecoveryProbe() {
    AgentRecord waking = agent(WAKING, T0).wakeAttempts(3).checkinDeadline(T0.plusSeconds(30)).build();
    Decision d = decide(waking, T0.plusSeconds(31));
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.MAX_ATTEMPTS_REACHED);
    Apply apply = (Apply) d.actions().get(0);
    assertThat(apply.trigger()).isEqualTo(LifecycleTrigger.WAKE_ATTEMPTS_EXHAUSTED);
    assertThat(apply.trigger().eventName()).isEqualTo(LifecycleEventNames.RECONCILE_MAX_ATTEMPTS_REACHED);
    assertThat(apply.provisionError()).contains("no check-in after 3 wakes");
    assertThat(apply.recoveryAt()).contains(T0.plusSeconds(31).plus(Duration.ofMinutes(5)));
    assertThat(apply.recoveryProbes()).isEqualTo(1);
    assertThat(d.nextLook()).isEqualTo(T0.plusSeconds(31).plus(Duration.ofMinutes(5)));
    assertThat(LifecycleTable.decide(WAKING, apply.trigger()).to()).isEqualTo(OFFLINE);
  }

  @Test
  void recoveryProbesBackOffToTheMaximum() {
    assertThat(POLICY.recoveryAt(T0, 1)).contains(T0.plus(Duration.ofMinutes(10)));
    assertThat(POLICY.recoveryAt(T0, 3)).contains(T0.plus(Duration.ofMinutes(40)));
    assertThat(POLICY.recoveryAt(T0, 4)).contains(T0.plus(Duration.ofHours(1)));
    assertThat(POLICY.recoveryAt(T0, 40)).contains(T0.plus(Duration.ofHours(1)));
  }

  @Test
  void withRecoveryProbesOffEscalationStopsForGoodAsSeed01Says() {
    Policy off = Policy.of(RollcallConfig.of(Map.of(Setting.RECOVERY_PROBE, "off")));
    AgentRecord waking = agent(WAKING, T0).wakeAttempts(3).checkinDeadline(T0.plusSeconds(30)).build();
    Decision d = Reconciliation.decide(observe(waking), off, T0.plusSeconds(31));
    Apply apply = (Apply) d.actions().get(0);
    assertThat(apply.recoveryAt()).isEmpty();
    assertThat(d.nextLook()).isNull();
    // ... and an offline agent without a recovery time is left alone.
    assertThat(decide(agent(OFFLINE, T0).build(), T0.plus(Duration.ofDays(30))).outcome()).isEqualTo(ReconcileOutcome.SETTLED);
  }

  @Test
  void anOfflineAgentIsReprovisionedWhenItsRecoveryComes() {
    AgentRecord offline = agent(OFFLINE, T0).recoveryAt(T0.plus(Duration.ofMinutes(5))).build();
    assertThat(decide(offline, T0.plusSeconds(299)).nextLook()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
    Decision d = decide(offline, T0.plus(Duration.ofMinutes(5)));
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.RECOVERY_PROBE);
    assertThat(d.actions()).singleElement().isInstanceOfSatisfying(Reconciliation.Reprovision.class,
        r -> assertThat(r.keepWakeBudget()).isFalse());
  }

  @Test
  void aWakingAgentWithoutARecordedWakeIsWokenOnceTheProvisionerHadItsChance() {
    AgentRecord accepted = agent(WAKING, T0).build();
    assertThat(decide(accepted, T0.plusSeconds(5)).outcome()).isEqualTo(ReconcileOutcome.DEFERRED);
    assertThat(decide(accepted, T0.plusSeconds(15)).actions()).singleElement().isInstanceOf(Reconciliation.Wake.class);
  }

  // --- provisioning that never completed -----------------------------------------------------------

  @Test
  void aProvisionAttemptOlderThanTheTakeOverLimitIsRetriedUnderSingleFlight() {
    AgentRecord provisioning = agent(PROVISIONING, T0).build();
    assertThat(decide(provisioning, T0.plusSeconds(14)).nextLook()).isEqualTo(T0.plusSeconds(15));
    Decision d = decide(provisioning, T0.plusSeconds(15));
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.PROVISION_RETRIED);
    assertThat(d.actions()).singleElement().isInstanceOf(Reconciliation.Reprovision.class);
  }

  // --- seed 02: stuck in starting -----------------------------------------------------------------

  @Test
  void seed02_aStartingAgentWithAFreshHeartbeatRegisteredLongAgoIsPromoted() {
    AgentRecord starting = agent(STARTING, T0.minus(Duration.ofMinutes(10))).registeredAt(T0.minus(Duration.ofMinutes(10))).build();
    Decision d = Reconciliation.decide(new Observation(starting, T0.minusSeconds(2), false, false, false, LONG_AGO), POLICY, T0);
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.PROMOTED);
    assertThat(((Apply) d.actions().get(0)).trigger()).isEqualTo(LifecycleTrigger.STARTUP_PROMOTED);
  }

  @Test
  void seed02_aStartingAgentInsideMaxTransitionIsLookedAtAgainWhenItEnds() {
    AgentRecord starting = agent(STARTING, T0).registeredAt(T0).build();
    Decision d = Reconciliation.decide(new Observation(starting, T0.plusSeconds(20), false, false, false, LONG_AGO), POLICY,
        T0.plusSeconds(25));
    assertThat(d.actions()).isEmpty();
    assertThat(d.nextLook()).isEqualTo(T0.plus(Duration.ofMinutes(2)));
  }

  @Test
  void seed02_registrationAloneIsNotAFreshHeartbeat() {
    // Registered 10 minutes ago and never heard from since: its lease is long gone, it is not promoted.
    AgentRecord starting = agent(STARTING, T0.minus(Duration.ofMinutes(10))).registeredAt(T0.minus(Duration.ofMinutes(10))).build();
    Decision d = decide(starting, T0);
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.SUSPECTED);
  }

  // --- liveness, suspicion, no flapping ------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(value = LifecycleStatus.class, names = {"STARTING", "READY", "BUSY", "DEGRADED"})
  void aLapsedLeaseMakesTheAgentSuspectFirstNotOffline(LifecycleStatus status) {
    AgentRecord agent = agent(status, LONG_AGO).registeredAt(LONG_AGO).build();
    Decision d = Reconciliation.decide(new Observation(agent, T0.minusSeconds(31), true, false, false, LONG_AGO), POLICY, T0);
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.SUSPECTED);
    assertThat(d.actions()).containsExactly(new Reconciliation.Suspect(T0, T0.minusSeconds(31), T0.minusSeconds(1)));
    // Lapsed at T0 - 1 s, marked at T0: the window runs from the lapse, less at most one reconcile
    // interval (500 ms) off the time after the mark.
    assertThat(d.nextLook()).isEqualTo(T0.plusMillis(19_500));
  }

  @Test
  void theSuspicionWindowRunsFromTheLapseNotFromTheTickThatNoticedIt() {
    AgentRecord ready = agent(READY, LONG_AGO).registeredAt(LONG_AGO).build();
    // Lease seen at T0 - 30 s: lapsed at T0. Noticed 300 ms later (within one reconcile interval).
    Observation lapsed = new Observation(ready, T0.minusSeconds(30), false, false, false, LONG_AGO);
    Decision marked = Reconciliation.decide(lapsed, POLICY, T0.plusMillis(300));
    assertThat(marked.outcome()).isEqualTo(ReconcileOutcome.SUSPECTED);
    assertThat(marked.nextLook()).as("the verdict is due a window after the lapse").isEqualTo(T0.plusSeconds(20));
    Observation suspect = new Observation(agent(READY, LONG_AGO).registeredAt(LONG_AGO).suspectSince(T0.plusMillis(300)).build(),
        T0.minusSeconds(30), false, false, false, LONG_AGO);
    assertThat(Reconciliation.decide(suspect, POLICY, T0.plusMillis(19_999)).outcome()).isEqualTo(ReconcileOutcome.DEFERRED);
    assertThat(Reconciliation.decide(suspect, POLICY, T0.plusSeconds(20)).outcome()).isEqualTo(ReconcileOutcome.OFFLINE_LEASE_EXPIRED);
    // Noticed 10 s late (a reconciler that fell behind): the agent still gets the window less one interval.
    Observation late = new Observation(agent(READY, LONG_AGO).registeredAt(LONG_AGO).suspectSince(T0.plusSeconds(10)).build(),
        T0.minusSeconds(30), false, false, false, LONG_AGO);
    assertThat(Reconciliation.decide(late, POLICY, T0.plusMillis(29_499)).outcome()).isEqualTo(ReconcileOutcome.DEFERRED);
    assertThat(Reconciliation.decide(late, POLICY, T0.plusMillis(29_500)).outcome()).isEqualTo(ReconcileOutcome.OFFLINE_LEASE_EXPIRED);
  }

  @Test
  void aSuspectAgentGoesOfflineOnlyAfterTheSuspicionWindowAndIsRecoveredAfterOneCheckinDeadline() {
    AgentRecord suspect = agent(READY, LONG_AGO).suspectSince(T0).build();
    Observation lapsed = new Observation(suspect, T0.minusSeconds(31), false, false, false, LONG_AGO);
    assertThat(Reconciliation.decide(lapsed, POLICY, T0.plusSeconds(19)).outcome()).isEqualTo(ReconcileOutcome.DEFERRED);
    Decision d = Reconciliation.decide(lapsed, POLICY, T0.plusSeconds(20));
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.OFFLINE_LEASE_EXPIRED);
    Apply apply = (Apply) d.actions().get(0);
    assertThat(apply.trigger()).isEqualTo(LifecycleTrigger.LEASE_EXPIRED);
    assertThat(apply.reason()).startsWith("no heartbeat since " + T0.minusSeconds(31));
    assertThat(apply.recoveryAt()).as("one check-in deadline to come back by itself").contains(T0.plusSeconds(50));
    assertThat(d.nextLook()).isEqualTo(T0.plusSeconds(50));
  }

  @Test
  void aDispatchOrRollbackIsNoSignOfLife() {
    // Dispatched to a minute ago, last heard from five minutes ago: its lease is long gone.
    AgentRecord busy = agent(BUSY, T0.minusSeconds(60)).registeredAt(LONG_AGO).lastSeenAt(T0.minusSeconds(300)).build();
    assertThat(decide(busy, T0).outcome()).isEqualTo(ReconcileOutcome.SUSPECTED);
  }

  @Test
  void aSuspectThatIsPromotedIsClearedInTheSameUpdate() {
    AgentRecord starting = agent(STARTING, LONG_AGO).registeredAt(LONG_AGO).suspectSince(T0.minusSeconds(5)).build();
    Decision d = Reconciliation.decide(new Observation(starting, T0.minusSeconds(1), false, false, false, LONG_AGO), POLICY, T0);
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.PROMOTED);
    assertThat(d.actions()).singleElement().isInstanceOfSatisfying(Apply.class, a -> assertThat(a.clearsSuspicion()).isTrue());
  }

  @Test
  void aMissedDeadlineIsNotActedOnDuringTheGraceAfterTheControlPlanesOwnOutage() {
    AgentRecord waking = agent(WAKING, T0).wakeAttempts(3).checkinDeadline(T0.plusSeconds(30)).build();
    Decision d = Reconciliation.decide(new Observation(waking, null, false, false, false, T0.plusSeconds(90)), POLICY,
        T0.plusSeconds(31));
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.GRACE);
    assertThat(d.actions()).isEmpty();
    assertThat(d.nextLook()).isEqualTo(T0.plusSeconds(90));
  }

  @Test
  void anAgentThatKeepsLosingItsCredentialWaitsForProbesInsteadOfLoopingThroughReprovisions() {
    AgentRecord spent = agent(READY, LONG_AGO).needsRebootstrap().wakeAttempts(3).suspectSince(T0.minusSeconds(60)).build();
    Decision d = decide(spent, T0);
    Apply apply = (Apply) d.actions().get(0);
    assertThat(apply.trigger()).isEqualTo(LifecycleTrigger.LEASE_EXPIRED);
    assertThat(apply.recoveryAt()).contains(T0.plus(Duration.ofMinutes(5)));
    assertThat(apply.provisionError()).isNotNull();
  }

  @Test
  void aLateHeartbeatClearsTheSuspicionWithoutAnyStatusChange() {
    AgentRecord suspect = agent(READY, LONG_AGO).suspectSince(T0).build();
    Decision d = Reconciliation.decide(new Observation(suspect, T0.plusSeconds(5), false, false, false, LONG_AGO), POLICY,
        T0.plusSeconds(10));
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.RENEWED);
    assertThat(d.actions()).containsExactly(new Reconciliation.Renewed());
    assertThat(d.nextLook()).isNull(); // the lapse scan watches its lease from here
  }

  @Test
  void aReadyAgentWithALiveLeaseIsNotStuckAndLeavesTheQueue() {
    AgentRecord ready = agent(READY, LONG_AGO).build();
    Decision d = Reconciliation.decide(new Observation(ready, T0.minusSeconds(29), false, false, false, LONG_AGO), POLICY, T0);
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.NOT_STUCK);
    assertThat(d.actions()).isEmpty();
    assertThat(d.nextLook()).isNull();
  }

  @Test
  void anAgentWithoutALeaseIsJudgedByItsLastSeenAtAndLookedAtWhenThatRunsOut() {
    AgentRecord ready = agent(READY, LONG_AGO).lastSeenAt(T0.minusSeconds(10)).build();
    Decision d = decide(ready, T0);
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.NOT_STUCK);
    assertThat(d.nextLook()).isEqualTo(T0.plusSeconds(20));
  }

  @Test
  void duringTheGraceAfterTheControlPlanesOwnOutageNoLivenessIsJudged() {
    AgentRecord ready = agent(READY, LONG_AGO).build();
    Decision d = Reconciliation.decide(new Observation(ready, T0.minusSeconds(300), false, false, false, T0.plusSeconds(60)),
        POLICY, T0);
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.GRACE);
    assertThat(d.actions()).isEmpty();
    assertThat(d.nextLook()).isEqualTo(T0.plusSeconds(60));
  }

  @Test
  void whenEveryGatewayIsSilentNoOfflineVerdictIsMade() {
    AgentRecord suspect = agent(READY, LONG_AGO).suspectSince(T0.minusSeconds(60)).build();
    Decision lease = Reconciliation.decide(new Observation(suspect, T0.minusSeconds(300), false, false, true, LONG_AGO), POLICY, T0);
    assertThat(lease.outcome()).isEqualTo(ReconcileOutcome.FLEET_SILENT);
    assertThat(lease.actions()).isEmpty();
    AgentRecord waking = agent(WAKING, T0).wakeAttempts(3).checkinDeadline(T0).build();
    Decision escalation = Reconciliation.decide(new Observation(waking, null, false, false, true, LONG_AGO), POLICY, T0);
    assertThat(escalation.outcome()).isEqualTo(ReconcileOutcome.FLEET_SILENT);
    assertThat(escalation.actions()).isEmpty();
  }

  @Test
  void anUnreachableGatewayIsNamedInTheVerdict() {
    AgentRecord suspect = agent(READY, LONG_AGO).suspectSince(T0.minusSeconds(60)).build();
    Decision d = Reconciliation.decide(new Observation(suspect, T0.minusSeconds(300), false, true, false, LONG_AGO), POLICY, T0);
    assertThat(((Apply) d.actions().get(0)).reason()).endsWith("its gateway is unreachable");
  }

  // --- seed 04: busy without a live task ------------------------------------------------------------

  @Test
  void seed04_busyWithoutALiveTaskIsReturnedToReadyAfterItsLimit() {
    AgentRecord busy = agent(BUSY, T0).build();
    Observation noTask = new Observation(busy, T0.plusSeconds(59), false, false, false, LONG_AGO);
    assertThat(Reconciliation.decide(noTask, POLICY, T0.plusSeconds(59)).nextLook()).isEqualTo(T0.plusSeconds(60));
    Decision d = Reconciliation.decide(new Observation(busy, T0.plusSeconds(60), false, false, false, LONG_AGO), POLICY,
        T0.plusSeconds(60));
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.BUSY_ROLLED_BACK);
    assertThat(((Apply) d.actions().get(0)).trigger()).isEqualTo(LifecycleTrigger.DISPATCH_ROLLED_BACK);
    // With a live task it is simply busy.
    Decision working = Reconciliation.decide(new Observation(busy, T0.plusSeconds(60), true, false, false, LONG_AGO), POLICY,
        T0.plusSeconds(60));
    assertThat(working.actions()).isEmpty();
  }

  // --- credential loss ------------------------------------------------------------------------------

  @Test
  void aLostCredentialIsReprovisionedWithinTheSameWakeBudget() {
    AgentRecord flagged = agent(READY, LONG_AGO).needsRebootstrap().wakeAttempts(1).build();
    Decision d = decide(flagged, T0);
    assertThat(d.outcome()).isEqualTo(ReconcileOutcome.REBOOTSTRAP);
    assertThat(d.actions()).singleElement().isInstanceOfSatisfying(Reconciliation.Reprovision.class,
        r -> assertThat(r.keepWakeBudget()).isTrue());
    // Budget spent: no more re-provisions for it; liveness decides (it cannot heartbeat, so it goes offline).
    AgentRecord spent = agent(READY, LONG_AGO).needsRebootstrap().wakeAttempts(3).build();
    assertThat(decide(spent, T0).outcome()).isEqualTo(ReconcileOutcome.SUSPECTED);
  }

  // --- every status, every time: the function never throws, and its transitions are legal ----------

  @Test
  void everyDecisionIsLegalInTheLifecycleTable() {
    Instant[] times = {T0, T0.plusSeconds(9), T0.plusSeconds(10), T0.plusSeconds(31), T0.plusSeconds(120), T0.plus(Duration.ofHours(2))};
    for (LifecycleStatus status : LifecycleStatus.values()) {
      for (Instant now : times) {
        for (boolean silent : new boolean[] {false, true}) {
          AgentRecordBuilder b = agent(status, T0).registeredAt(T0).wakeAttempts(3).checkinDeadline(T0.plusSeconds(30))
              .recoveryAt(T0.plusSeconds(60));
          for (AgentRecord a : new AgentRecord[] {b.build(), b.suspectSince(T0).build()}) {
            Decision d = Reconciliation.decide(new Observation(a, T0, false, silent, silent, T0), POLICY, now);
            for (Action action : d.actions()) {
              if (action instanceof Apply apply) {
                assertThat(LifecycleTable.lookup(status, apply.trigger())).as(status + " x " + apply.trigger()).isPresent();
              }
            }
            if (silent) {
              assertThat(d.actions()).as("no verdict while the fleet is silent: " + status + " at " + now)
                  .noneMatch(x -> x instanceof Apply apply && EnumSet.of(LifecycleTrigger.LEASE_EXPIRED,
                      LifecycleTrigger.WAKE_ATTEMPTS_EXHAUSTED).contains(apply.trigger()));
            }
            if (status == DELETED) {
              assertThat(d.nextLook()).isNull();
            }
            if (d.nextLook() != null) {
              assertThat(d.nextLook()).as("next look never in the past").isAfterOrEqualTo(now);
            }
          }
        }
      }
    }
  }

  private static Decision decide(AgentRecord agent, Instant now) {
    return Reconciliation.decide(observe(agent), POLICY, now);
  }

  private static Observation observe(AgentRecord agent) {
    return new Observation(agent, null, false, false, false, LONG_AGO);
  }
}
