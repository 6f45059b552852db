package dev.rollcall.heartbeat;

import dev.rollcall.core.lifecycle.LifecycleTable;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.lifecycle.StartupPromotion;
import dev.rollcall.core.lifecycle.Transition;
import dev.rollcall.core.persistence.AgentChange;
import dev.rollcall.core.persistence.AgentRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What one heartbeat means for the agent's record: pure, so every rule is tested without a clock or a
 * database. Liveness itself is a Redis lease; the agent's record is written only when something changed
 * (status, escalation, template version, suspicion). A {@code last_seen_at} that is due (coalesced) and
 * nothing else goes to {@link LastSeenWriter}'s batch, not to a transaction of its own.
 */
final class HeartbeatPolicy {
  private HeartbeatPolicy() {
  }

  /**
   * @param lastSeenWritten when this agent's last_seen_at last reached PostgreSQL (null: never)
   * @param gatewayTemplateVersion the version the agent's gateway should run (null: unknown)
   */
  static Decision decide(AgentRecord agent, HeartbeatReport report, Integer gatewayTemplateVersion, Instant lastSeenWritten,
                         Instant now, Duration maxTransition, Duration lastSeenWriteEvery) {
    LifecycleTrigger trigger = report.status().trigger;
    // Seed 02, rule 1: a fresh heartbeat from an agent registered longer ago than max_transition ends
    // startup, whatever the agent keeps reporting.
    if (trigger == LifecycleTrigger.REPORTED_STARTING && StartupPromotion.due(agent, maxTransition, now)) {
      trigger = LifecycleTrigger.STARTUP_PROMOTED;
    }
    Optional<Transition> transition = LifecycleTable.lookup(agent.status(), trigger);
    if (transition.isEmpty()) {
      return new Decision(trigger, null, null, false, false, false);
    }
    // Seed 01: the first check-in after a wake resets escalation.
    boolean escalationPending = agent.wakeAttempts() > 0 || agent.checkinDeadline() != null || agent.recoveryProbes() > 0;
    boolean templateBehind = report.templateVersion() != null && gatewayTemplateVersion != null
        && report.templateVersion() < gatewayTemplateVersion;
    boolean templateChanged = report.templateVersion() != null && !report.templateVersion().equals(agent.templateVersion());
    // The spread period is never shorter than the base one, so it is only worked out once that passed.
    boolean lastSeenDue = lastSeenWritten == null || (!lastSeenWritten.plus(lastSeenWriteEvery).isAfter(now)
        && !lastSeenWritten.plus(lastSeenPeriod(agent.id(), lastSeenWriteEvery)).isAfter(now));
    boolean write = transition.get().changesStatus() || escalationPending || templateChanged
        || templateBehind != agent.needsTemplateSync() || agent.suspectSince() != null;
    if (!write) {
      return new Decision(trigger, transition.get(), null, false, templateBehind, lastSeenDue);
    }
    AgentChange change = AgentChange.create().lastSeenAt(now);
    if (templateBehind != agent.needsTemplateSync()) {
      change.needsTemplateSync(templateBehind);
    }
    if (escalationPending) {
      change.wakeAttempts(0).checkinDeadline(null).recoveryProbes(0);
    }
    if (agent.suspectSince() != null) {
      change.suspectSince(null);
    }
    if (templateChanged) {
      change.templateVersion(report.templateVersion());
    }
    if (report.status() == HeartbeatReport.Reported.STOPPING && transition.get().changesStatus()) {
      change.statusReason("the agent reported stopping");
    }
    return new Decision(trigger, transition.get(), change, escalationPending, templateBehind, false);
  }

  /**
   * @param transition null when the trigger is illegal in the agent's status (only a deleted agent)
   * @param change null when nothing is written to PostgreSQL for this heartbeat
   * @param checkedInAfterWake record seed 01's {@code lifecycle.reconcile.skip_not_stuck} evidence
   * @param lastSeenDue with no change: the agent's coalesced last_seen_at is due, for the batch
   */
  record Decision(LifecycleTrigger trigger, Transition transition, AgentChange change, boolean checkedInAfterWake,
                  boolean templateSyncRequired, boolean lastSeenDue) {
  }

  /**
   * The agent's own last_seen_at period: {@code every} stretched by 0 to 20 % by a hash of its id. Agents
   * that turned ready together (a gateway restart) would otherwise all come due in the same second, a
   * burst of PostgreSQL writes every period; the benchmark showed it as p99 spikes.
   */
  static Duration lastSeenPeriod(java.util.UUID agentId, Duration every) {
    long spreadPerMille = Math.floorMod(agentId.hashCode(), 200);
    return every.plus(every.multipliedBy(spreadPerMille).dividedBy(1000));
  }
}
