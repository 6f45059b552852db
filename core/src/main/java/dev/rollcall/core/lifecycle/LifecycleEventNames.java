package dev.rollcall.core.lifecycle;

/**
 * Lifecycle event names that record what the control plane did or decided without necessarily moving
 * the agent. The {@code lifecycle.*} names of seed 01 are kept verbatim so that its troubleshooting
 * guide reads true for Rollcall: search the logs or {@code GET /api/v1/agents/{id}/events} for them.
 */
public final class LifecycleEventNames {
  /** A reconcile pass was queued for the agent's check-in deadline (after a wake). */
  public static final String QUEUE_ENQUEUED = "lifecycle.queue.enqueued";
  /** A queued lifecycle task ran to completion. */
  public static final String QUEUE_WORKER_SUCCESS = "queue.worker.success";
  /** The agent has checked in; escalation was reset and there is nothing to rescue. */
  public static final String RECONCILE_SKIP_NOT_STUCK = "lifecycle.reconcile.skip_not_stuck";
  /** The check-in deadline has not passed yet; the pass was deferred until it does. */
  public static final String RECONCILE_DEFERRED = "lifecycle.reconcile.deferred";
  /** The deadline passed without a check-in; the agent was woken again. */
  public static final String RECONCILE_RETRIGGERED = "lifecycle.reconcile.retriggered";
  /** The last allowed wake passed its deadline: the agent goes offline and escalation stops. */
  public static final String RECONCILE_MAX_ATTEMPTS_REACHED = "lifecycle.reconcile.max_attempts_reached";
  /** The agent row was created. */
  public static final String AGENT_CREATED = "lifecycle.agent.created";

  /**
   * The agent presented a credential that is not valid while it has no live credential at all: it is
   * flagged for re-provisioning with a fresh ticket, so the bootstrap gate re-opens (seed 03).
   */
  public static final String CREDENTIAL_REBOOTSTRAP_REQUIRED = "lifecycle.credential.rebootstrap_required";
  /** A second instance of the agent tried to redeem a ticket another instance already redeemed (seed 03). */
  public static final String AGENT_DUPLICATE_INSTANCE = "lifecycle.agent.duplicate_instance";
  /** A registration's response was lost; the unused credential was revoked and a new one minted. */
  public static final String CREDENTIAL_REISSUED = "lifecycle.credential.reissued";
  /** A bootstrap ticket was issued for a provision attempt. */
  public static final String TICKET_ISSUED = "lifecycle.ticket.issued";

  /** A template sync with token rotation delivered a new credential to the agent's gateway (seed 01). */
  public static final String CREDENTIAL_ROTATED = "lifecycle.credential.rotated";
  /** A template sync with token rotation failed; the old credential was left untouched. */
  public static final String CREDENTIAL_ROTATION_FAILED = "lifecycle.credential.rotation_failed";

  /** The gateway did not take a wake (error or timeout); the attempt still counts toward seed 01's budget. */
  public static final String WAKE_FAILED = "lifecycle.wake.failed";
  /**
   * An instance of a superseded provision attempt reported in (seed 03's second instance): the gateway
   * was told to deprovision it.
   */
  public static final String STALE_INSTANCE_DEPROVISIONED = "lifecycle.instance.stale_deprovisioned";
  /** A deprovision call to the gateway failed; the instance may still run until the gateway drops it. */
  public static final String DEPROVISION_FAILED = "lifecycle.deprovision.failed";

  private LifecycleEventNames() {
  }
}
