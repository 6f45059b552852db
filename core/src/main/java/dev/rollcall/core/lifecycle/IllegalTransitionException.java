package dev.rollcall.core.lifecycle;

import java.util.Set;
import java.util.stream.Collectors;

/** A trigger that the {@link LifecycleTable} does not allow in the agent's current status. */
public final class IllegalTransitionException extends RuntimeException {
  private final LifecycleStatus from;
  private final LifecycleTrigger trigger;

  public IllegalTransitionException(LifecycleStatus from, LifecycleTrigger trigger, Set<LifecycleStatus> allowedFrom) {
    super("cannot apply " + trigger.eventName() + " to an agent that is " + from.wireName()
        + (allowedFrom.isEmpty() ? "" : "; it applies only to an agent that is "
            + allowedFrom.stream().map(LifecycleStatus::wireName).sorted().collect(Collectors.joining(", "))));
    this.from = from;
    this.trigger = trigger;
  }

  public LifecycleStatus from() {
    return from;
  }

  public LifecycleTrigger trigger() {
    return trigger;
  }
}
