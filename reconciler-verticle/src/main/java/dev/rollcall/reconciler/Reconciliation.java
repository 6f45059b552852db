package dev.rollcall.reconciler;

import dev.rollcall.core.config.Durations;
import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.lifecycle.LifecycleEventNames;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.lifecycle.StartupPromotion;
import dev.rollcall.core.persistence.AgentRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The reconciler's policy, as one pure function: (agent record, liveness, gateway health, settings,
 * now) → what to do and when to look again. No clock, no I/O: {@link ReconcilePass} loads the inputs
 * and applies the actions, so every rule below is tested exhaustively without sleeping.
 *
 * <p>Level-triggered: the decision depends only on the current record and liveness, never on why the
 * agent was queued, so a duplicate or stale due entry decides the same thing twice (and the conditional
 * updates make the second application a lost race).
 *
 * <p>Rules by status (seed 01 is the escalation, seeds 02–04 the rescues):
 * <ul>
 *   <li>provisioning: an attempt older than the take-over limit is retried under single flight;</li>
 *   <li>waking: before the check-in deadline {@code lifecycle.reconcile.deferred}; after it, another wake
 *       ({@code lifecycle.reconcile.retriggered}) until {@code maxWakeAttempts}, then offline with
 *       {@code last_provision_error} ({@code lifecycle.reconcile.max_attempts_reached}) and a recovery
 *       probe later unless probes are off;</li>
 *   <li>starting / ready / busy / degraded: a lapsed lease makes the agent suspect, and offline only
 *       after the suspicion window (no flapping); seed 02's promotion of a starting agent with a fresh
 *       heartbeat; seed 04's busy without a live task returned to ready; a lost credential re-provisioned
 *       within the wake budget;</li>
 *   <li>offline: re-provisioned when its {@code recovery_at} comes (one check-in deadline after a lease
 *       expiry, so that an agent that was only cut off returns by itself first).</li>
 * </ul>
 * Mass failure: while every gateway is silent no offline verdict is made; during the grace after the
 * control plane's own outage no liveness is judged.
 */
final class Reconciliation {
  private Reconciliation() {
  }

  /** The settings the policy reads. */
  record Policy(Duration checkinDeadline, int maxWakeAttempts, Duration maxTransition, Duration leaseTtl,
                Duration suspicionWindow, Duration provisioningLimit, Duration stuckBusyAfter, RollcallConfig config) {
    static Policy of(RollcallConfig c) {
      return new Policy(c.checkinDeadline(), c.maxWakeAttempts(), c.maxTransition(), c.leaseTtl(), c.suspicionWindow(),
          c.provisionTakeOverAfter(), c.stuckBusyAfter(), c);
    }

    /** When the next recovery probe of an agent that made {@code probesSoFar} is due; empty when probes are off. */
    Optional<Instant> recoveryAt(Instant now, int probesSoFar) {
      return config.recoveryDelay(probesSoFar).map(now::plus);
    }

    /**
     * When a suspect's offline verdict is due. The suspicion window runs from the lapse itself, not from
     * the tick that noticed it: the lapse scan runs once per {@code reconcileInterval}, and charging that
     * period to the window put up to one interval on every detection (two ticks, the mark's and the
     * verdict's, where one is inherent). The credit is at most one interval: a mark much later than the
     * lapse (a reconciler that fell behind) still leaves the agent the window less one interval.
     */
    Instant verdictAt(Instant lapsedAt, Instant suspectSince) {
      Instant fromLapse = lapsedAt.plus(suspicionWindow);
      Instant shortestAfterMark = suspectSince.plus(suspicionWindow).minus(config.reconcileInterval());
      return fromLapse.isAfter(shortestAfterMark) ? fromLapse : shortestAfterMark;
    }
  }

  /**
   * Everything one decision reads.
   *
   * @param leaseSeen the agent's Redis lease (null: none)
   * @param hasLiveTask a task is dispatched or delivered to the agent (read for busy agents only)
   * @param gatewayUnreachable the agent's gateway is marked unreachable (mass silence)
   * @param fleetSilent every gateway is silent: the control plane itself is probably cut off
   * @param judgeFrom liveness is not judged before this (grace after the control plane's own outage)
   */
  record Observation(AgentRecord agent, Instant leaseSeen, boolean hasLiveTask, boolean gatewayUnreachable,
                     boolean fleetSilent, Instant judgeFrom) {
  }

  /** What the shell does. Recovery actions ({@link Wake}, {@link Reprovision}) pass the gateway's gates first. */
  sealed interface Action {
  }

  /**
   * A status change (or a recorded stay) through the lifecycle table.
   *
   * @param clearsSuspicion the same update clears {@code suspect_since} (one write, not two racing ones)
   */
  record Apply(LifecycleTrigger trigger, String reason, String provisionError, Optional<Instant> recoveryAt,
               Integer recoveryProbes, boolean clearsSuspicion) implements Action {
    static Apply of(LifecycleTrigger trigger, String reason, boolean clearsSuspicion) {
      return new Apply(trigger, reason, null, Optional.empty(), null, clearsSuspicion);
    }
  }

  /**
   * Mark the agent suspect since {@code since} ({@code LEASE_LAPSED}). The event says when the agent was
   * last heard and when its lease lapsed: a mark long after the lapse is a reconciler that fell behind.
   */
  record Suspect(Instant since, Instant lastHeard, Instant lapsedAt) implements Action {
  }

  /** Clear the suspicion: the lease is live again ({@code LEASE_RENEWED}). */
  record Renewed() implements Action {
  }

  /** Record an event that moves nothing (seed 01's {@code lifecycle.reconcile.deferred}). */
  record Note(String eventName, String why) implements Action {
  }

  /** Wake the agent again ({@code lifecycle.reconcile.retriggered}): a recovery action. */
  record Wake(String why) implements Action {
  }

  /** Re-provision under single flight: a recovery action. */
  record Reprovision(String why, boolean keepWakeBudget) implements Action {
  }

  /**
   * @param outcome the pass's outcome, for metrics and the log line
   * @param nextLook when to look at the agent again; null: no due entry (a transition or the sweep
   *     queues it again when something changes)
   */
  record Decision(ReconcileOutcome outcome, List<Action> actions, Instant nextLook) {
    static Decision defer(ReconcileOutcome outcome, Instant until) {
      return new Decision(outcome, List.of(), until);
    }

    boolean recovers() {
      return actions.stream().anyMatch(a -> a instanceof Wake || a instanceof Reprovision);
    }
  }

  static Decision decide(Observation o, Policy p, Instant now) {
    AgentRecord agent = o.agent();
    return switch (agent.status()) {
      case DELETED -> new Decision(ReconcileOutcome.FORGOTTEN, List.of(), null);
      case PROVISIONING -> provisioning(agent, p, now);
      case WAKING -> waking(o, p, now);
      case OFFLINE -> offline(o, p, now);
      case STARTING, READY, BUSY, DEGRADED -> alive(o, p, now);
    };
  }

  private static Decision provisioning(AgentRecord agent, Policy p, Instant now) {
    Instant limit = agent.updatedAt().plus(p.provisioningLimit());
    if (now.isBefore(limit)) {
      return Decision.defer(ReconcileOutcome.DEFERRED, limit);
    }
    return new Decision(ReconcileOutcome.PROVISION_RETRIED, List.of(new Reprovision("the provision attempt of epoch " + agent.provisionEpoch()
        + " did not complete within " + Durations.format(p.provisioningLimit()), false)), now.plus(p.provisioningLimit()));
  }

  private static Decision waking(Observation o, Policy p, Instant now) {
    AgentRecord agent = o.agent();
    Instant deadline = agent.checkinDeadline();
    if (deadline == null) {
      // Accepted by the gateway, but no wake recorded yet: the provisioner's first wake is on its way.
      Instant settle = agent.updatedAt().plus(p.provisioningLimit());
      if (now.isBefore(settle)) {
        return Decision.defer(ReconcileOutcome.DEFERRED, settle);
      }
      return new Decision(ReconcileOutcome.RETRIGGERED, List.of(new Wake("the agent was accepted by its gateway but no wake was recorded")),
          now.plus(p.checkinDeadline()));
    }
    if (now.isBefore(deadline)) {
      return new Decision(ReconcileOutcome.DEFERRED, List.of(new Note(LifecycleEventNames.RECONCILE_DEFERRED,
          "check-in deadline " + deadline + " not reached (wake " + agent.wakeAttempts() + " of " + p.maxWakeAttempts() + ")")),
          deadline);
    }
    if (now.isBefore(o.judgeFrom())) {
      // The control plane itself was down: the agent may have checked in while nobody could record it.
      return Decision.defer(ReconcileOutcome.GRACE, o.judgeFrom());
    }
    if (agent.wakeAttempts() < p.maxWakeAttempts()) {
      return new Decision(ReconcileOutcome.RETRIGGERED, List.of(new Wake("no check-in by " + deadline + " after wake " + agent.wakeAttempts()
          + " of " + p.maxWakeAttempts())), now.plus(p.checkinDeadline()));
    }
    if (o.fleetSilent()) {
      return Decision.defer(ReconcileOutcome.FLEET_SILENT, now.plus(p.suspicionWindow()));
    }
    Optional<Instant> recoveryAt = p.recoveryAt(now, agent.recoveryProbes());
    String error = "no check-in after " + agent.wakeAttempts() + " wakes (check-in deadline "
        + Durations.format(p.checkinDeadline()) + " each); escalation stopped"
        + recoveryAt.map(at -> ", recovery probe at " + at).orElse("");
    return new Decision(ReconcileOutcome.MAX_ATTEMPTS_REACHED, List.of(new Apply(LifecycleTrigger.WAKE_ATTEMPTS_EXHAUSTED, error, error,
        recoveryAt, recoveryAt.isPresent() ? agent.recoveryProbes() + 1 : null, false)), recoveryAt.orElse(null));
  }

  private static Decision offline(Observation o, Policy p, Instant now) {
    AgentRecord agent = o.agent();
    if (agent.recoveryAt() == null) {
      return new Decision(ReconcileOutcome.SETTLED, List.of(), null);
    }
    if (now.isBefore(agent.recoveryAt())) {
      return Decision.defer(ReconcileOutcome.DEFERRED, agent.recoveryAt());
    }
    if (o.fleetSilent()) {
      return Decision.defer(ReconcileOutcome.FLEET_SILENT, now.plus(p.suspicionWindow()));
    }
    return new Decision(ReconcileOutcome.RECOVERY_PROBE, List.of(new Reprovision("recovery of an offline agent ("
        + (agent.statusReason() == null ? "no reason recorded" : agent.statusReason()) + ")", false)), now.plus(p.provisioningLimit()));
  }

  private static Decision alive(Observation o, Policy p, Instant now) {
    AgentRecord agent = o.agent();
    // A lost credential: re-provision with a fresh ticket, inside the same wake budget (token issue).
    if (agent.needsRebootstrap() && agent.wakeAttempts() < p.maxWakeAttempts()) {
      return new Decision(ReconcileOutcome.REBOOTSTRAP, List.of(new Reprovision("the agent lost its credential and must bootstrap again", true)),
          now.plus(p.provisioningLimit()));
    }
    Instant heartbeat = latest(o.leaseSeen(), agent.lastSeenAt());
    // A just-registered agent gets a full lease to send its first heartbeat. Other status changes (a
    // dispatch, a rollback) are not signs of life: only the agent's own calls are.
    Instant seen = latest(heartbeat, agent.registeredAt());
    if (seen == null) {
      seen = agent.statusChangedAt();
    }
    Instant expiry = seen.plus(p.leaseTtl());
    if (!now.isBefore(expiry)) {
      return lapsed(o, p, now, seen);
    }
    boolean suspect = agent.suspectSince() != null;
    Instant next = heartbeat == null || o.leaseSeen() == null ? expiry : null; // no lease: the lapse scan cannot see it
    ReconcileOutcome outcome = suspect ? ReconcileOutcome.RENEWED : ReconcileOutcome.NOT_STUCK;
    if (agent.status() == LifecycleStatus.STARTING) {
      // Seed 02: a fresh heartbeat and a registration older than max_transition end startup.
      Instant promoteAt = StartupPromotion.promoteAt(agent, p.maxTransition());
      boolean freshHeartbeat = heartbeat != null && now.isBefore(heartbeat.plus(p.leaseTtl()));
      if (freshHeartbeat && !now.isBefore(promoteAt)) {
        return new Decision(ReconcileOutcome.PROMOTED, List.of(Apply.of(LifecycleTrigger.STARTUP_PROMOTED, "fresh heartbeat and registered longer ago than "
            + Durations.format(p.maxTransition()) + ": startup is over (seed 02)", suspect)), null);
      }
      next = earliest(next, now.isBefore(promoteAt) ? promoteAt : expiry);
    }
    if (agent.status() == LifecycleStatus.BUSY && !o.hasLiveTask()) {
      Instant stuckAt = agent.statusChangedAt().plus(p.stuckBusyAfter());
      if (!now.isBefore(stuckAt)) {
        return new Decision(ReconcileOutcome.BUSY_ROLLED_BACK, List.of(Apply.of(LifecycleTrigger.DISPATCH_ROLLED_BACK, "busy for "
            + Durations.format(p.stuckBusyAfter()) + " without a live task: returned to ready", suspect)), next);
      }
      next = earliest(next, stuckAt);
    }
    return new Decision(outcome, suspect ? List.of(new Renewed()) : List.of(), next);
  }

  private static Decision lapsed(Observation o, Policy p, Instant now, Instant seen) {
    AgentRecord agent = o.agent();
    if (now.isBefore(o.judgeFrom())) {
      return Decision.defer(ReconcileOutcome.GRACE, o.judgeFrom());
    }
    Instant lapsedAt = seen.plus(p.leaseTtl());
    if (agent.suspectSince() == null) {
      return new Decision(ReconcileOutcome.SUSPECTED, List.of(new Suspect(now, seen, lapsedAt)), p.verdictAt(lapsedAt, now));
    }
    Instant verdictAt = p.verdictAt(lapsedAt, agent.suspectSince());
    if (now.isBefore(verdictAt)) {
      return Decision.defer(ReconcileOutcome.DEFERRED, verdictAt);
    }
    if (o.fleetSilent()) {
      return Decision.defer(ReconcileOutcome.FLEET_SILENT, now.plus(p.suspicionWindow()));
    }
    String reason = "no heartbeat since " + seen + " (lease " + Durations.format(p.leaseTtl()) + " and suspicion window "
        + Durations.format(p.suspicionWindow()) + " passed)" + (o.gatewayUnreachable() ? "; its gateway is unreachable" : "");
    // Recovered after one check-in deadline: an agent that was only cut off heartbeats again meanwhile and
    // simply returns (offline -> ready, same instance); one that died gets a new instance. Unless it went
    // silent because it keeps losing its credential past its wake budget: then it waits for recovery
    // probes like any agent that would not check in (no endless re-provision loop).
    if (agent.needsRebootstrap() && agent.wakeAttempts() >= p.maxWakeAttempts()) {
      Optional<Instant> probe = p.recoveryAt(now, agent.recoveryProbes());
      return new Decision(ReconcileOutcome.OFFLINE_LEASE_EXPIRED, List.of(new Apply(LifecycleTrigger.LEASE_EXPIRED,
          reason + "; it lost its credential and its wake budget is spent", reason, probe,
          probe.isPresent() ? agent.recoveryProbes() + 1 : null, false)), probe.orElse(null));
    }
    Instant recoverAt = now.plus(p.checkinDeadline());
    return new Decision(ReconcileOutcome.OFFLINE_LEASE_EXPIRED, List.of(new Apply(LifecycleTrigger.LEASE_EXPIRED, reason, null,
        Optional.of(recoverAt), null, false)), recoverAt);
  }

  private static Instant latest(Instant a, Instant b) {
    return a == null ? b : b == null ? a : a.isAfter(b) ? a : b;
  }

  private static Instant earliest(Instant a, Instant b) {
    return a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
  }
}
