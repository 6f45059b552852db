package dev.rollcall.provisioner;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A circuit breaker per gateway for task starts. Closed: starts go out; after {@code failures}
 * consecutive failed starts it opens: no dispatches to that gateway for the cool-down; then one probe
 * dispatch is let through (half-open). A probe that starts closes the breaker; one that fails opens it
 * again for twice as long (at most 12 times the base). It recovers by itself when the fault clears.
 *
 * <p>Per node and in memory, deliberately: it protects a gateway from this node's dispatcher, and
 * losing it on a restart costs at most {@code failures} more failed starts. A probe that another node
 * carried out (so this one never sees its outcome) stops holding the circuit after the probe timeout.
 * Changed only on the dispatcher's event loop; time comes from the caller (tested with a clock, no
 * sleeping).
 */
final class GatewayBreaker {
  enum State { CLOSED, OPEN, HALF_OPEN }

  private final int failures;
  private final Duration baseCooldown;
  private final Duration probeTimeout;
  // Concurrent only because the metrics scrape reads its size from another thread.
  private final Map<UUID, Circuit> circuits = new ConcurrentHashMap<>();

  /**
   * @param probeTimeout after this, a probe whose outcome this node never saw (another node's
   *     dispatcher carried it out) no longer holds the circuit: the next probe may go
   */
  GatewayBreaker(int failures, Duration baseCooldown, Duration probeTimeout) {
    this.failures = failures;
    this.baseCooldown = baseCooldown;
    this.probeTimeout = probeTimeout;
  }

  private static final class Circuit {
    int consecutiveFailures;
    Instant openUntil;
    Duration cooldown;
    Instant probeSentAt;

    boolean probing(Instant now, Duration probeTimeout) {
      return probeSentAt != null && now.isBefore(probeSentAt.plus(probeTimeout));
    }
  }

  /** Whether a dispatch to the gateway may go out now; in half-open state, only one probe at a time. */
  boolean allows(UUID gatewayId, Instant now) {
    Circuit c = circuits.get(gatewayId);
    if (c == null || c.openUntil == null) {
      return true;
    }
    return !now.isBefore(c.openUntil) && !c.probing(now, probeTimeout);
  }

  /** The gateways to which nothing may be dispatched now. */
  java.util.List<UUID> blocked(Instant now) {
    return circuits.keySet().stream().filter(id -> !allows(id, now)).toList();
  }

  /** A dispatch to the gateway went out; in half-open state it is the probe, and no other goes until it settles. */
  void dispatched(UUID gatewayId, Instant now) {
    Circuit c = circuits.get(gatewayId);
    if (c != null && c.openUntil != null && !now.isBefore(c.openUntil)) {
      c.probeSentAt = now;
    }
  }

  State state(UUID gatewayId, Instant now) {
    Circuit c = circuits.get(gatewayId);
    if (c == null || c.openUntil == null) {
      return State.CLOSED;
    }
    return now.isBefore(c.openUntil) ? State.OPEN : State.HALF_OPEN;
  }

  /** A start succeeded: the circuit closes. Returns true if it was not closed before. */
  boolean succeeded(UUID gatewayId) {
    Circuit c = circuits.remove(gatewayId);
    return c != null && c.openUntil != null;
  }

  /** A start failed. Returns true if this failure opened the circuit (or re-opened it after a probe). */
  boolean failed(UUID gatewayId, Instant now) {
    Circuit c = circuits.computeIfAbsent(gatewayId, id -> new Circuit());
    c.consecutiveFailures++;
    if (c.openUntil != null) {
      if (c.probeSentAt == null) {
        return false; // a straggler from before the circuit opened
      }
      c.probeSentAt = null;
      c.cooldown = min(c.cooldown.multipliedBy(2), baseCooldown.multipliedBy(12));
      c.openUntil = now.plus(c.cooldown);
      return true;
    }
    if (c.consecutiveFailures >= failures) {
      c.cooldown = baseCooldown;
      c.openUntil = now.plus(c.cooldown);
      return true;
    }
    return false;
  }

  /** How many circuits are not closed (a gauge). */
  int notClosed() {
    return (int) circuits.values().stream().filter(c -> c.openUntil != null).count();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
