package dev.rollcall.core.config;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * Timing profiles for runs that must play the lifecycle out in seconds, not minutes: the chaos run, the
 * benchmarks and the tests' control plane. Never for a real fleet (production uses {@link Setting}'s
 * defaults). One home, so that the runs that share a timing share it by name and each one's deliberate
 * differences are spelt out where it uses the profile, as overrides.
 */
public final class FastSettings {
  private FastSettings() {
  }

  /**
   * Seed timings shortened about fifteen-fold (check-in deadline 2 s, heartbeats every 500 ms so leases
   * of 1.5 s, suspicion 2 s), loops to match. These are the chaos run's timings: the bounds in
   * BENCHMARKS.md and docs/gateway-sim.md are derived from them, so a change here changes those bounds.
   * A fresh, mutable map: put the caller's overrides on it.
   */
  public static Map<Setting, String> profile() {
    Map<Setting, String> s = new EnumMap<>(Setting.class);
    s.put(Setting.CHECKIN_DEADLINE, "2s");
    s.put(Setting.HEARTBEAT_INTERVAL, "500ms");
    s.put(Setting.SUSPICION_WINDOW, "2s");
    s.put(Setting.MAX_TRANSITION, "3s");
    s.put(Setting.OUTAGE_GRACE, "1s");
    s.put(Setting.RECOVERY_PROBE, "off");
    s.put(Setting.RECONCILE_INTERVAL, "100ms");
    s.put(Setting.FLEET_SAMPLE_INTERVAL, "200ms");
    s.put(Setting.SWEEP_INTERVAL, "5s");
    s.put(Setting.GATEWAY_TIMEOUT, "1s");
    s.put(Setting.BUS_TIMEOUT, "2s");
    s.put(Setting.START_CONFIRM_WINDOW, "2s");
    s.put(Setting.STUCK_BUSY_AFTER, "5s");
    s.put(Setting.TASK_RETRY_BACKOFF, "200ms");
    s.put(Setting.DISPATCH_INTERVAL, "100ms");
    s.put(Setting.BREAKER_COOLDOWN, "1s");
    return s;
  }

  /** {@link #profile()} plus {@code overrides}, unmodifiable. */
  public static Map<Setting, String> profileWith(Map<Setting, String> overrides) {
    Map<Setting, String> s = profile();
    s.putAll(overrides);
    return Collections.unmodifiableMap(s);
  }

  /**
   * The opposite need, for a benchmark of the reconcile loop itself: production loop timings, with
   * liveness held still (leases that do not lapse during the run, as no agent heartbeats there) and no
   * anti-entropy sweep in the middle of a measurement. A fresh, mutable map.
   */
  public static Map<Setting, String> heldLiveness() {
    Map<Setting, String> s = new EnumMap<>(Setting.class);
    s.put(Setting.HEARTBEAT_INTERVAL, "1h");
    s.put(Setting.SUSPICION_WINDOW, "2h");
    s.put(Setting.SWEEP_INTERVAL, "1h");
    return s;
  }
}
