package dev.rollcall.core.lifecycle;

import static dev.rollcall.core.lifecycle.LifecycleStatus.BUSY;
import static dev.rollcall.core.lifecycle.LifecycleStatus.DEGRADED;
import static dev.rollcall.core.lifecycle.LifecycleStatus.DELETED;
import static dev.rollcall.core.lifecycle.LifecycleStatus.OFFLINE;
import static dev.rollcall.core.lifecycle.LifecycleStatus.PROVISIONING;
import static dev.rollcall.core.lifecycle.LifecycleStatus.READY;
import static dev.rollcall.core.lifecycle.LifecycleStatus.STARTING;
import static dev.rollcall.core.lifecycle.LifecycleStatus.WAKING;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.DELETE_REQUESTED;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.DISPATCH_ROLLED_BACK;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.LEASE_EXPIRED;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.LEASE_LAPSED;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.LEASE_RENEWED;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.PROVISION_ACCEPTED;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.PROVISION_FAILED;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.PROVISION_REQUESTED;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.REGISTERED;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.REPORTED_BUSY;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.REPORTED_DEGRADED;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.REPORTED_READY;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.REPORTED_STARTING;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.REPORTED_STOPPING;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.STARTUP_PROMOTED;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.TASK_DISPATCHED;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.TASK_PROCESSED;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.WAKE_ATTEMPTS_EXHAUSTED;
import static dev.rollcall.core.lifecycle.LifecycleTrigger.WAKE_SENT;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The agent lifecycle: every allowed (status, trigger) pair, where it leads and why. Nothing else in
 * Rollcall decides a transition; the repository consults this table inside the conditional update.
 *
 * <p>A pair that is not listed is illegal and {@link #decide} throws {@link IllegalTransitionException}.
 * A listed pair whose target equals its source is legal and leaves the status alone (a join, a
 * duplicate, or a report the control plane deliberately ignores, such as seed 02's regressive
 * {@code starting} heartbeat on a ready agent).
 */
public final class LifecycleTable {

  private static final Set<LifecycleStatus> ALIVE = EnumSet.of(STARTING, READY, BUSY, DEGRADED);
  private static final Set<LifecycleStatus> NOT_DELETED = EnumSet.complementOf(EnumSet.of(DELETED));

  /** The table, row by row. Read it top to bottom as the lifecycle's specification. */
  private static final List<Rule> RULES = List.of(
      // Provisioning: single flight per agent (seed 03); the caller bumps provision_epoch.
      move(PROVISION_REQUESTED, EnumSet.of(WAKING, STARTING, READY, BUSY, DEGRADED, OFFLINE), PROVISIONING,
          "a new provision attempt replaces whatever instance runs now; older epochs are fenced out"),
      stay(PROVISION_REQUESTED, EnumSet.of(PROVISIONING),
          "a provision for this agent is already in flight: the request joins it (single flight, seed 03)"),
      move(PROVISION_ACCEPTED, EnumSet.of(PROVISIONING), WAKING,
          "the gateway accepted the agent; it is woken and must check in before the deadline (seed 01)"),
      stay(PROVISION_ACCEPTED, EnumSet.of(WAKING, STARTING, READY, BUSY, DEGRADED),
          "the agent already moved past provisioning (it registered before the gateway's answer was recorded)"),
      move(PROVISION_FAILED, EnumSet.of(PROVISIONING), OFFLINE,
          "the gateway refused or did not answer the provision call; last_provision_error says why"),

      // Wake and check-in escalation (seed 01).
      stay(WAKE_SENT, EnumSet.of(WAKING),
          "another wake attempt after a missed check-in deadline; wake_attempts counts it"),
      move(WAKE_SENT, EnumSet.of(OFFLINE), WAKING,
          "a recovery probe or an operator wakes an offline agent: a new check-in cycle starts"),
      move(WAKE_ATTEMPTS_EXHAUSTED, EnumSet.of(WAKING), OFFLINE,
          "no check-in after the last allowed wake: offline with last_provision_error, escalation stops (seed 01)"),

      // Registration: the bootstrap ticket is redeemed for a credential.
      move(REGISTERED, EnumSet.of(PROVISIONING, WAKING, OFFLINE), STARTING,
          "the agent redeemed its bootstrap ticket: it is up and starting"),
      stay(REGISTERED, EnumSet.of(STARTING, READY, BUSY, DEGRADED),
          "a repeated register (the first response was lost) does not move a running agent"),

      // Heartbeats: what the agent says about itself (seed 02's rules).
      move(REPORTED_STARTING, EnumSet.of(PROVISIONING, WAKING, OFFLINE), STARTING,
          "first check-in: the agent is alive and starting"),
      stay(REPORTED_STARTING, EnumSet.of(STARTING, READY, BUSY, DEGRADED),
          "a starting heartbeat never downgrades an agent that is already up; liveness is still recorded (seed 02)"),
      move(REPORTED_READY, EnumSet.of(PROVISIONING, WAKING, STARTING, DEGRADED, OFFLINE), READY,
          "the agent reports ready"),
      stay(REPORTED_READY, EnumSet.of(READY, BUSY),
          "busy ends with the task's ack or rollback, not with a heartbeat"),
      move(REPORTED_BUSY, EnumSet.of(PROVISIONING, WAKING, STARTING, OFFLINE), READY,
          "the agent is alive and working on its own; busy in Rollcall means a task Rollcall dispatched, so it counts as ready"),
      stay(REPORTED_BUSY, EnumSet.of(READY, BUSY, DEGRADED),
          "liveness only: the control plane's busy follows its own dispatches"),
      move(REPORTED_DEGRADED, EnumSet.of(PROVISIONING, WAKING, STARTING, READY, OFFLINE), DEGRADED,
          "the agent reports a problem of its own"),
      stay(REPORTED_DEGRADED, EnumSet.of(DEGRADED, BUSY),
          "already degraded, or a task is in flight and its outcome decides when busy ends"),
      move(REPORTED_STOPPING, EnumSet.of(WAKING, STARTING, READY, BUSY, DEGRADED), OFFLINE,
          "the agent is stopping on purpose; the stop is honoured and recorded as the reason"),
      stay(REPORTED_STOPPING, EnumSet.of(PROVISIONING, OFFLINE),
          "an instance that is already replaced or offline is stopping: nothing to change"),

      // Reconciler rescues.
      move(STARTUP_PROMOTED, EnumSet.of(STARTING), READY,
          "fresh heartbeat and registered longer ago than max_transition: startup is over (seed 02)"),
      move(LEASE_EXPIRED, EnumSet.of(STARTING, READY, BUSY, DEGRADED), OFFLINE,
          "no heartbeat through the lease and the suspicion window: offline until it heartbeats again"),
      stay(LEASE_EXPIRED, EnumSet.of(OFFLINE),
          "already offline"),
      stay(LEASE_LAPSED, ALIVE,
          "the lease lapsed: suspect, not yet offline; a heartbeat within the suspicion window clears it (no flapping)"),
      stay(LEASE_RENEWED, ALIVE,
          "a late heartbeat renewed the lease of a suspect agent: the suspicion is cleared"),

      // Work dispatch (seed 04).
      move(TASK_DISPATCHED, EnumSet.of(READY), BUSY,
          "a task was dispatched; the agent is busy until the task is processed or rolled back"),
      move(TASK_PROCESSED, EnumSet.of(BUSY), READY,
          "the agent acknowledged its task as processed"),
      stay(TASK_PROCESSED, EnumSet.of(READY),
          "a repeated acknowledgement"),
      move(DISPATCH_ROLLED_BACK, EnumSet.of(BUSY), READY,
          "the task start failed (error, false, or a confirmed timeout); the task goes back to the queue (seed 04)"),
      stay(DISPATCH_ROLLED_BACK, EnumSet.of(READY),
          "a repeated rollback"),

      // Deletion: a tombstone, so that late registers and heartbeats are refused.
      move(DELETE_REQUESTED, NOT_DELETED, DELETED,
          "deleted by an operator; the agent's credentials are revoked"),
      stay(DELETE_REQUESTED, EnumSet.of(DELETED),
          "already deleted"));

  private static final Map<LifecycleStatus, Map<LifecycleTrigger, Transition>> TABLE = index(RULES);

  private LifecycleTable() {
  }

  /**
   * The verdict for {@code trigger} on an agent that is {@code from}.
   *
   * @throws IllegalTransitionException when the table does not allow it
   */
  public static Transition decide(LifecycleStatus from, LifecycleTrigger trigger) {
    return lookup(from, trigger).orElseThrow(() -> new IllegalTransitionException(from, trigger, allowedFrom(trigger)));
  }

  public static Optional<Transition> lookup(LifecycleStatus from, LifecycleTrigger trigger) {
    return Optional.ofNullable(TABLE.get(from).get(trigger));
  }

  /** The statuses in which {@code trigger} is legal. */
  public static Set<LifecycleStatus> allowedFrom(LifecycleTrigger trigger) {
    Set<LifecycleStatus> allowed = EnumSet.noneOf(LifecycleStatus.class);
    TABLE.forEach((from, row) -> {
      if (row.containsKey(trigger)) {
        allowed.add(from);
      }
    });
    return Collections.unmodifiableSet(allowed);
  }

  /** Every legal pair, in table order: the source of docs/lifecycle.md. */
  public static List<Transition> transitions() {
    List<Transition> all = new ArrayList<>();
    for (Rule rule : RULES) {
      for (LifecycleStatus from : rule.from()) {
        all.add(TABLE.get(from).get(rule.trigger()));
      }
    }
    return Collections.unmodifiableList(all);
  }

  /** Statuses in which an agent counts as running (it checked in and has not stopped). */
  public static Set<LifecycleStatus> alive() {
    return Collections.unmodifiableSet(ALIVE);
  }

  private static Map<LifecycleStatus, Map<LifecycleTrigger, Transition>> index(List<Rule> rules) {
    Map<LifecycleStatus, Map<LifecycleTrigger, Transition>> table = new EnumMap<>(LifecycleStatus.class);
    for (LifecycleStatus status : LifecycleStatus.values()) {
      table.put(status, new EnumMap<>(LifecycleTrigger.class));
    }
    for (Rule rule : rules) {
      for (LifecycleStatus from : rule.from()) {
        LifecycleStatus to = rule.to() == null ? from : rule.to();
        Transition previous = table.get(from).put(rule.trigger(), new Transition(from, rule.trigger(), to, rule.reason()));
        if (previous != null) {
          // Two rules for one pair would make the lifecycle ambiguous: refuse to load.
          throw new IllegalStateException("lifecycle table lists " + from + " x " + rule.trigger() + " twice");
        }
      }
    }
    table.replaceAll((status, row) -> Collections.unmodifiableMap(row));
    return Collections.unmodifiableMap(table);
  }

  private static Rule move(LifecycleTrigger trigger, Set<LifecycleStatus> from, LifecycleStatus to, String reason) {
    return new Rule(trigger, from, to, reason);
  }

  private static Rule stay(LifecycleTrigger trigger, Set<LifecycleStatus> from, String reason) {
    return new Rule(trigger, from, null, reason);
  }

  private record Rule(LifecycleTrigger trigger, Set<LifecycleStatus> from, LifecycleStatus to, String reason) {
  }
}
