package dev.rollcall.gatewaysim;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * How a simulated agent (or its gateway) misbehaves. Each profile reproduces a failure from the seeds and
 * says what the control plane must make of it: the terminal state a converged agent ends in.
 */
public enum FaultProfile {
  /** Boots, registers, heartbeats ready, works its tasks. */
  HEALTHY(true, "behaves"),
  /** Seed 01: the process dies during bootstrap, every time it is started; it never checks in. */
  CRASH_ON_BOOT(false, "dies during bootstrap: offline with a reason after the wake budget"),
  /** Seed 01: runs templates older than its gateway's and ignores the check-in until a template sync reaches it. */
  STALE_TEMPLATE(false, "never checks in until its templates are synced: offline with a reason"),
  /** Seed 01: its credential drifts after a few heartbeats (401) until it gets a new one. */
  UNAUTHORIZED(true, "401 after a while; back once re-provisioned or re-synced"),
  /** Seed 02: heartbeats status=starting forever. */
  STUCK_STARTING(true, "promoted to ready by seed 02's rule"),
  /** Seed 03: the gateway starts two instances for one provision; exactly one may get a credential. */
  DOUBLE_BOOT(true, "one instance registers, the other is told it is the duplicate and stops"),
  /** Seed 04: task starts fail with an error. */
  START_FAILURE_ERROR(true, "every dispatch to it is rolled back; it stays ready"),
  /** Seed 04: task starts are answered started=false. */
  START_FAILURE_FALSE(true, "every dispatch to it is rolled back; it stays ready"),
  /** Checks in just before, or just after, its check-in deadline (alternating by agent). */
  SLOW_START(true, "ready, on the first or the second wake"),
  /** Drops a share of its requests and delays others. */
  FLAKY_NETWORK(true, "ready: retries and the suspicion window absorb it"),
  /** Its whole gateway goes dark for a while (agents partitioned, gateway API unreachable), then returns. */
  GATEWAY_OUTAGE(true, "offline while dark, ready again after"),
  /** Dies after a while of healthy life (once). */
  CRASH_LATER(true, "offline with a reason when it dies, then re-provisioned and ready");

  private final boolean endsReady;
  private final String expectation;

  FaultProfile(boolean endsReady, String expectation) {
    this.endsReady = endsReady;
    this.expectation = expectation;
  }

  /** True when a converged agent with this profile is ready (or busy) at the end; false: offline with a reason. */
  public boolean endsReady() {
    return endsReady;
  }

  public String expectation() {
    return expectation;
  }

  /** {@code crash-on-boot}, as on the command line and in reports. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static Optional<FaultProfile> fromWire(String name) {
    return Arrays.stream(values()).filter(p -> p.wireName().equals(name)).findFirst();
  }
}
