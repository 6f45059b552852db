package dev.rollcall.core.lifecycle;

import java.util.Objects;

/**
 * The table's verdict for one trigger on one agent: where it goes ({@code to == from} means the trigger
 * is legal but leaves the status as it is) and why.
 */
public record Transition(LifecycleStatus from, LifecycleTrigger trigger, LifecycleStatus to, String reason) {
  public Transition {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(trigger, "trigger");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(reason, "reason");
  }

  public boolean changesStatus() {
    return from != to;
  }
}
