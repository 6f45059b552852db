package dev.rollcall.core.testing;

import java.time.Clock;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** What the tests' clocks share: UTC, whatever zone is asked for (Rollcall reads instants only). */
abstract class UtcClock extends Clock {
  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
