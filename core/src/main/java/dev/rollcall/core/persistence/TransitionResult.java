package dev.rollcall.core.persistence;

import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.lifecycle.IllegalTransitionException;
import dev.rollcall.core.lifecycle.Transition;
import java.util.UUID;

/**
 * What became of a transition request. Losing a race is an ordinary, typed outcome: the caller re-reads
 * the agent and decides again (level-triggered), it is never an exception swallowed on the way.
 */
public sealed interface TransitionResult {

  /** Outcome label for metrics and logs. */
  String outcome();

  /**
   * The API error for a result the caller could not use: 503 {@code agent_contended} (retryable) for
   * a race it kept losing, 404 for a missing agent, 409 {@code illegal_transition} with the table's
   * words for a forbidden move.
   */
  default Throwable failure() {
    if (this instanceof LostRace lost) {
      return ApiError.unavailable("agent_contended", "agent " + lost.agentId() + " kept changing under this request; retry")
          .exception();
    }
    if (this instanceof NotFound missing) {
      return ApiError.notFound("agent_not_found", "agent " + missing.agentId() + " does not exist").exception();
    }
    if (this instanceof Illegal illegal) {
      return ApiError.conflict("illegal_transition", illegal.error().getMessage(), false).exception();
    }
    return new IllegalStateException("not a failure: " + outcome());
  }

  /**
   * Written: the agent row (version bumped) and its lifecycle event, in one transaction (no event for a
   * coalesced last_seen_at alone).
   *
   * @param wakeToReady when this transition made the agent ready after a wake: the time since the first
   *     wake of its check-in cycle (recorded once the transaction committed); null otherwise
   */
  record Applied(AgentRecord agent, Transition transition, java.time.Duration wakeToReady) implements TransitionResult {
    public Applied(AgentRecord agent, Transition transition) {
      this(agent, transition, null);
    }

    public String outcome() {
      return "applied";
    }
  }

  /** Legal, but nothing to write: the status stays and no column changes. */
  record Unchanged(AgentRecord agent, Transition transition) implements TransitionResult {
    public String outcome() {
      return "unchanged";
    }
  }

  /** Another writer changed the agent after the caller read it; nothing was written. */
  record LostRace(UUID agentId, long expectedVersion, long currentVersion) implements TransitionResult {
    public String outcome() {
      return "lost_race";
    }
  }

  /** The agent does not exist; nothing was written. */
  record NotFound(UUID agentId) implements TransitionResult {
    public String outcome() {
      return "not_found";
    }
  }

  /** The lifecycle table forbids the trigger in the agent's status; nothing was written. */
  record Illegal(AgentRecord agent, IllegalTransitionException error) implements TransitionResult {
    public String outcome() {
      return "illegal";
    }
  }
}
