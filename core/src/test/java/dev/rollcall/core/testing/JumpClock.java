package dev.rollcall.core.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Real time, plus however far the test jumped ahead. For tests of a running control plane whose loops
 * must keep converging by themselves ({@link MutableClock} would stop them) but that prove something
 * does <em>not</em> happen by jumping past its deadline and driving the loop once, instead of sleeping
 * through the deadline. Jumps only forward, like time.
 */
public final class JumpClock extends UtcClock {
  private final Clock real = Clock.systemUTC();
  private volatile long aheadNanos;

  public void advance(Duration by) {
    if (by.isNegative()) {
      throw new IllegalArgumentException("time only moves forward: " + by);
    }
    aheadNanos += by.toNanos();
  }

  /** How far this clock is ahead of real time. */
  public Duration ahead() {
    return Duration.ofNanos(aheadNanos);
  }

  @Override
  public Instant instant() {
    return real.instant().plusNanos(aheadNanos);
  }
}
