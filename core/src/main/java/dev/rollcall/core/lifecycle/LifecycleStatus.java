package dev.rollcall.core.lifecycle;

import java.util.Arrays;
import java.util.Optional;

/**
 * Where an agent is in its life, as the control plane sees it. Stored in {@code agents.lifecycle_status}
 * as {@link #wireName()}; the migration's CHECK constraint lists exactly these names.
 */
public enum LifecycleStatus {
  /** A provision attempt (one {@code provision_epoch}) is in flight on the gateway. */
  PROVISIONING(true),
  /** The gateway accepted the agent; a wake was sent and a check-in deadline is running (seed 01). */
  WAKING(true),
  /** The agent checked in (registered or heartbeated) but has not reported ready (seed 02). */
  STARTING(true),
  /** Alive and idle: can take work. */
  READY(false),
  /** Alive and working a dispatched task (seed 04: rolled back when the start fails). */
  BUSY(true),
  /** Alive but reporting a problem of its own; returns to ready when it says so. */
  DEGRADED(false),
  /** Not running, with a reason in {@code status_reason} / {@code last_provision_error}. */
  OFFLINE(false),
  /** Tombstone: late registers and heartbeats are refused, never given a fresh credential. */
  DELETED(false);

  private final boolean transitional;
  private final String wireName;

  LifecycleStatus(boolean transitional) {
    this.transitional = transitional;
    this.wireName = name().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * A transitional status must resolve by itself within a limit (the reconciler rescues it when it does
   * not); a settled one may last forever.
   */
  public boolean transitional() {
    return transitional;
  }

  public String wireName() {
    return wireName;
  }

  public static Optional<LifecycleStatus> fromWire(String name) {
    if (name == null) {
      return Optional.empty();
    }
    return Arrays.stream(values()).filter(s -> s.wireName().equals(name)).findFirst();
  }
}
