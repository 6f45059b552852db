package dev.rollcall.core.persistence;

import dev.rollcall.core.persistence.TaskRecord.State;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The task lifecycle as one table, the way {@link dev.rollcall.core.lifecycle.LifecycleTable} is the
 * agent's: every trigger that changes a task (or records a stay), the states it applies to, the state it
 * leads to, the {@code task_events} name it records, and why. Read it top to bottom as the specification.
 *
 * <p>{@link TaskRepository}'s conditional updates take their state conditions from here
 * ({@link #whereFrom()}, {@link #whereLive}) and their target states from {@link #toSql()}, so that the
 * SQL cannot allow a move the table does not list; docs/lifecycle.md is rendered from it
 * ({@code LifecycleDocTest}). Unlike the agent's table, a trigger leads to one state: where a retry
 * budget decides between two outcomes (back to the queue, or failed for good), they are two triggers.
 */
public enum TaskTrigger {
  CREATED(EnumSet.noneOf(State.class), State.QUEUED, "task.queued",
      "an operator created the task; it waits for a ready agent of its gateway, or for the agent it names"),
  DISPATCHED(EnumSet.of(State.QUEUED), State.DISPATCHED, "task.dispatched",
      "a ready agent took the next attempt: the agent turns busy and an outbox row is written, in one transaction"),
  START_UNCONFIRMED(EnumSet.of(State.DISPATCHED), State.DISPATCHED, "task.start_unconfirmed",
      "the gateway's start timed out: a report from the attempt within the confirmation window settles it, else it is rolled back (seed 04)"),
  START_ACCEPTED(live(), State.DELIVERED, "task.delivered",
      "the gateway accepted the start, or the agent reported it started: delivered, not processed (seed 03)"),
  ACKNOWLEDGED(live(), State.PROCESSED, "task.processed",
      "the agent acknowledged the attempt's result; the agent turns ready"),
  START_FAILED(EnumSet.of(State.DISPATCHED), State.QUEUED, "task.rolled_back",
      "the start failed (error, false, or a timeout nobody confirmed): back to the queue after a backoff, the agent ready (seed 04)"),
  START_FAILED_FOR_GOOD(EnumSet.of(State.DISPATCHED), State.FAILED, "task.failed",
      "the start of the last allowed attempt failed: the task fails with the reason"),
  INSTANCE_LOST(live(), State.QUEUED, "task.requeued",
      "the agent's instance is gone (offline, re-provisioned): the attempt goes back to the queue"),
  INSTANCE_LOST_FOR_GOOD(live(), State.FAILED, "task.failed",
      "the agent's instance is gone and the task may not be retried (no attempt left, or the agent was deleted)"),
  REQUESTED_AGENT_DELETED(EnumSet.of(State.QUEUED), State.FAILED, "task.failed",
      "the agent the task names was deleted: no other agent may take it");

  private final Set<State> from;
  private final State to;
  private final String eventName;
  private final String reason;

  TaskTrigger(Set<State> from, State to, String eventName, String reason) {
    Set<State> copy = EnumSet.noneOf(State.class);
    copy.addAll(from);
    this.from = Collections.unmodifiableSet(copy);
    this.to = to;
    this.eventName = eventName;
    this.reason = reason;
  }

  /**
   * The states in which an attempt is live: a report may name it, and the agent's busy belongs to it.
   * A method over a holder class, not a field: enum constants are built before the enum's own static fields.
   */
  public static Set<State> live() {
    return Live.STATES;
  }

  /** Built on first use, after the constants, so that it is one set and not one per call (attemptLive is on the report path). */
  private static final class Live {
    static final Set<State> STATES = Collections.unmodifiableSet(EnumSet.of(State.DISPATCHED, State.DELIVERED));
  }

  /** Where the trigger applies; empty for {@link #CREATED} (the task does not exist yet). */
  public Set<State> from() {
    return from;
  }

  public State to() {
    return to;
  }

  /** What lands in {@code task_events.name}. Names are shared where the outcome is the same (three ways to fail). */
  public String eventName() {
    return eventName;
  }

  public String reason() {
    return reason;
  }

  public boolean appliesTo(State state) {
    return from.contains(state);
  }

  /** The target state as an SQL literal: {@code 'queued'}. */
  String toSql() {
    return "'" + to.wireName() + "'";
  }

  /** The trigger's from-states as a condition on {@code tasks.state}: {@code state = 'queued'}. */
  String whereFrom() {
    return condition("state", from);
  }

  /**
   * The common from-states of triggers that one statement serves (its outcome chosen by a parameter or a
   * CASE). Refuses to load when they differ: the statement would then allow one of them where the table
   * does not.
   */
  static String whereFrom(TaskTrigger... triggers) {
    Set<State> common = triggers[0].from;
    for (TaskTrigger t : triggers) {
      if (!t.from.equals(common)) {
        throw new IllegalStateException("one statement serves " + Arrays.toString(triggers) + " but their from-states differ");
      }
    }
    return condition("state", common);
  }

  /** {@code column} (e.g. {@code t.state}) is a live state: {@code t.state IN ('dispatched', 'delivered')}. */
  static String whereLive(String column) {
    return condition(column, live());
  }

  /**
   * {@code col = 'x'} for one state, {@code col IN ('x', 'y')} in enum order otherwise: the same text as the
   * partial indexes of V4__tasks.sql, which only serve queries whose condition implies theirs.
   */
  private static String condition(String column, Set<State> states) {
    if (states.isEmpty()) {
      throw new IllegalStateException("no state to select: a trigger without from-states creates its task");
    }
    if (states.size() == 1) {
      return column + " = '" + states.iterator().next().wireName() + "'";
    }
    return column + " IN (" + states.stream().map(s -> "'" + s.wireName() + "'").collect(Collectors.joining(", ")) + ")";
  }
}
