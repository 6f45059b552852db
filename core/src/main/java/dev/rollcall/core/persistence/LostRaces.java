package dev.rollcall.core.persistence;

import io.vertx.core.Future;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The other half of the conditional update: an attempt that lost the race for an agent's row (another
 * writer moved the agent between this one's read and its update) reads again and decides again, a few
 * times, then gives up with 503 {@code agent_contended} (retryable) or what the caller says.
 *
 * <p>An attempt that lost says so by returning {@link #again}; anything else it returns, success or
 * failure, is the answer. Attempts are numbered from 1, so that the first may use a record its caller
 * has already read and the later ones read afresh.
 */
public final class LostRaces {
  private LostRaces() {
  }

  /** What an attempt returns when it lost the race and wants another go with a fresh read. */
  public static <T> Future<T> again(TransitionResult.LostRace race) {
    return Future.failedFuture(new Again(race));
  }

  /** Runs {@code attempt} until it does not lose, at most {@code attempts} times; then 503 agent_contended. */
  public static <T> Future<T> retry(int attempts, IntFunction<Future<T>> attempt) {
    return retry(attempts, attempt, race -> Future.failedFuture(race.failure()));
  }

  /** As {@link #retry(int, IntFunction)}, answering {@code whenSpent} once the last attempt lost too. */
  public static <T> Future<T> retry(int attempts, IntFunction<Future<T>> attempt,
                                    Function<TransitionResult.LostRace, Future<T>> whenSpent) {
    return attemptFrom(1, attempts, attempt, whenSpent);
  }

  private static <T> Future<T> attemptFrom(int number, int attempts, IntFunction<Future<T>> attempt,
                                           Function<TransitionResult.LostRace, Future<T>> whenSpent) {
    Future<T> answered = attempt.apply(number);
    if (answered.succeeded()) {
      return answered; // the common case, already complete (a heartbeat with nothing to write): no extra future
    }
    return answered.recover(e -> {
      if (!(e instanceof Again lost)) {
        return Future.failedFuture(e);
      }
      return number < attempts ? attemptFrom(number + 1, attempts, attempt, whenSpent) : whenSpent.apply(lost.race);
    });
  }

  /** The signal of {@link #again}; never seen outside {@link #retry}. No stack trace: it is control flow. */
  private static final class Again extends RuntimeException {
    private final transient TransitionResult.LostRace race;

    private Again(TransitionResult.LostRace race) {
      super("lost the race for agent " + race.agentId(), null, false, false);
      this.race = race;
    }
  }
}
