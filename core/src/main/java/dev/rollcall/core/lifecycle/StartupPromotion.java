package dev.rollcall.core.lifecycle;

import dev.rollcall.core.persistence.AgentRecord;
import java.time.Duration;
import java.time.Instant;

/**
 * Seed 02's rule, in one place: an agent still {@code starting} once {@code maxTransition} has passed since
 * it registered, and still heartbeating, has finished starting whatever it reports; it is promoted to
 * {@code ready} ({@code lifecycle.reconcile.promoted}). The heartbeat intake applies it to the heartbeat in
 * hand, the reconciler to an agent that sent one within its lease. Without a registration time (not written
 * by a register), the time it entered its status stands in.
 */
public final class StartupPromotion {
  private StartupPromotion() {
  }

  /** When a starting agent's startup is over. */
  public static Instant promoteAt(AgentRecord agent, Duration maxTransition) {
    return (agent.registeredAt() == null ? agent.statusChangedAt() : agent.registeredAt()).plus(maxTransition);
  }

  /** Whether a starting agent that is heartbeating is to be promoted at {@code now}. */
  public static boolean due(AgentRecord agent, Duration maxTransition, Instant now) {
    return agent.status() == LifecycleStatus.STARTING && !now.isBefore(promoteAt(agent, maxTransition));
  }
}
