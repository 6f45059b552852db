package dev.rollcall.core.lifecycle;

/**
 * Something that happened to an agent and may move it in the {@link LifecycleTable}. Each trigger's
 * {@link #eventName()} is what lands in {@code lifecycle_events.name} and in the logs, so an operator
 * can search for it; names that the seeds use are kept verbatim (see {@link LifecycleEventNames}).
 */
public enum LifecycleTrigger {
  /** An operator, the reconciler or a retry asks for a (re-)provision; the caller bumps the epoch. */
  PROVISION_REQUESTED("lifecycle.provision.requested"),
  /** The gateway accepted the provision call for the current epoch; a wake follows. */
  PROVISION_ACCEPTED("lifecycle.provision.accepted"),
  /** The gateway refused the provision call, or it timed out. */
  PROVISION_FAILED("lifecycle.provision.failed"),
  /** A wake was sent to the gateway (seed 01's {@code lifecycle.queue.enqueued} follows it). */
  WAKE_SENT("lifecycle.wake.sent"),
  /** Seed 01: the third wake passed its check-in deadline without a check-in. */
  WAKE_ATTEMPTS_EXHAUSTED(LifecycleEventNames.RECONCILE_MAX_ATTEMPTS_REACHED),
  /** The agent redeemed its bootstrap ticket for a credential. */
  REGISTERED("lifecycle.agent.registered"),
  /** A heartbeat reporting {@code status=starting}. */
  REPORTED_STARTING("lifecycle.heartbeat.starting"),
  /** A heartbeat reporting {@code status=ready}. */
  REPORTED_READY("lifecycle.heartbeat.ready"),
  /** A heartbeat reporting {@code status=busy}. */
  REPORTED_BUSY("lifecycle.heartbeat.busy"),
  /** A heartbeat reporting {@code status=degraded}. */
  REPORTED_DEGRADED("lifecycle.heartbeat.degraded"),
  /** A heartbeat reporting {@code status=stopping}: the agent is going away on purpose. */
  REPORTED_STOPPING("lifecycle.heartbeat.stopping"),
  /**
   * Seed 02: fresh heartbeat, registered longer ago than {@code max_transition}, still {@code starting}:
   * startup is over whatever the agent keeps saying.
   */
  STARTUP_PROMOTED("lifecycle.reconcile.promoted"),
  /** A task was dispatched to the agent (outbox row written in the same transaction). */
  TASK_DISPATCHED("lifecycle.dispatch.started"),
  /** The agent acknowledged its task as processed. */
  TASK_PROCESSED("lifecycle.dispatch.processed"),
  /** Seed 04: the start failed (error, {@code false}, or a confirmed timeout); the task is re-queued. */
  DISPATCH_ROLLED_BACK("lifecycle.dispatch.rolled_back"),
  /**
   * The liveness lease stayed lapsed past the suspicion window: the agent is offline. (A first lapse
   * only sets {@code agents.suspect_since}; suspicion is a mark on the agent, not a status, so a busy
   * agent that blips stays busy.)
   */
  LEASE_EXPIRED("lifecycle.liveness.expired"),
  /**
   * The reconciler found the agent's lease lapsed: it is suspect ({@code agents.suspect_since}) and gets
   * the suspicion window to heartbeat before the offline verdict. Not a status: a busy agent stays busy.
   */
  LEASE_LAPSED("lifecycle.liveness.suspect"),
  /** A suspect agent's lease is live again (a late heartbeat): the suspicion is cleared, nothing else. */
  LEASE_RENEWED("lifecycle.liveness.renewed"),
  /** The agent was deleted by an operator; it becomes a tombstone. */
  DELETE_REQUESTED("lifecycle.agent.deleted");

  private final String eventName;

  LifecycleTrigger(String eventName) {
    this.eventName = eventName;
  }

  public String eventName() {
    return eventName;
  }
}
