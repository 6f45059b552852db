package dev.rollcall.reconciler;

import dev.rollcall.core.lifecycle.LifecycleEventNames;

/**
 * What one reconcile pass came to: the {@code outcome} tag of {@code rollcall.reconcile.passes} and the
 * {@code event} of the pass's log line. Each name is written out here in full, so that searching the
 * tree for an event seen in a log ({@code lifecycle.reconcile.promoted}, ...) lands on its outcome; seed
 * 01's four names are the ones its troubleshooting guide uses ({@link LifecycleEventNames}).
 */
enum ReconcileOutcome {
  /** The agent's row is gone (deleted): nothing to look at any more. */
  FORGOTTEN("forgotten", "lifecycle.reconcile.forgotten"),
  /** A deadline (check-in, take-over, recovery, verdict) is not reached yet: looked at again when it is. */
  DEFERRED("deferred", LifecycleEventNames.RECONCILE_DEFERRED),
  /** A provision attempt outlived the take-over limit and was retried under single flight. */
  PROVISION_RETRIED("provision_retried", "lifecycle.reconcile.provision_retried"),
  /** No check-in by the deadline: woken again (seed 01). */
  RETRIGGERED("retriggered", LifecycleEventNames.RECONCILE_RETRIGGERED),
  /** The control plane's own outage grace is in force: liveness is not judged yet. */
  GRACE("grace", "lifecycle.reconcile.grace"),
  /** Every gateway is silent: no offline verdict is made (the control plane is probably cut off). */
  FLEET_SILENT("fleet_silent", "lifecycle.reconcile.fleet_silent"),
  /** The last allowed wake passed its deadline: offline, escalation stops (seed 01). */
  MAX_ATTEMPTS_REACHED("max_attempts_reached", LifecycleEventNames.RECONCILE_MAX_ATTEMPTS_REACHED),
  /** Offline with recovery probes off: settled until something changes. */
  SETTLED("settled", "lifecycle.reconcile.settled"),
  /** An offline agent's recovery probe came due: re-provisioned. */
  RECOVERY_PROBE("recovery_probe", "lifecycle.reconcile.recovery_probe"),
  /** The agent lost its credential: re-provisioned with a fresh ticket inside its wake budget (seed 03). */
  REBOOTSTRAP("rebootstrap", "lifecycle.reconcile.rebootstrap"),
  /** A suspect's lease is live again: the suspicion is cleared. */
  RENEWED("renewed", "lifecycle.reconcile.renewed"),
  /** Checked in and its lease is live: nothing to rescue (seed 01). */
  NOT_STUCK("not_stuck", LifecycleEventNames.RECONCILE_SKIP_NOT_STUCK),
  /** A starting agent with a fresh heartbeat past max_transition: ready (seed 02). */
  PROMOTED("promoted", "lifecycle.reconcile.promoted"),
  /** Busy without a live task for too long: returned to ready (seed 04). */
  BUSY_ROLLED_BACK("busy_rolled_back", "lifecycle.reconcile.busy_rolled_back"),
  /** The lease lapsed: suspect, with the verdict due after the suspicion window. */
  SUSPECTED("suspected", "lifecycle.reconcile.suspected"),
  /** The suspicion window passed without a heartbeat: offline. */
  OFFLINE_LEASE_EXPIRED("offline_lease_expired", "lifecycle.reconcile.offline_lease_expired"),
  /** A recovery held: the agent's gateway is unreachable and another agent holds its probe slot. */
  HELD_GATEWAY_UNREACHABLE("held_gateway_unreachable", "lifecycle.reconcile.held_gateway_unreachable"),
  /** A re-provision held: the gateway's token bucket is empty. */
  RATE_LIMITED("rate_limited", "lifecycle.reconcile.rate_limited"),
  /** The agent changed under the pass (a lost race): looked at again at once with its new record. */
  CHANGED("changed", "lifecycle.reconcile.changed"),
  /** The pass failed (store or bus error): its claim comes due again after the visibility timeout. */
  FAILED("failed", "reconcile.pass_failed");

  private final String tag;
  private final String eventName;

  ReconcileOutcome(String tag, String eventName) {
    this.tag = tag;
    this.eventName = eventName;
  }

  /** The {@code outcome} tag of {@code rollcall.reconcile.passes}. */
  String tag() {
    return tag;
  }

  /** The {@code event} of the pass's log line. */
  String eventName() {
    return eventName;
  }
}
