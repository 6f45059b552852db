package dev.rollcall.core.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.http.ApiError;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The read-again-and-decide-again loop every conditional update of an agent uses. */
class LostRacesTest {
  private static final TransitionResult.LostRace RACE = new TransitionResult.LostRace(UUID.randomUUID(), 3, 4);

  @Test
  void anAttemptThatLostIsRunAgainWithItsNumberUntilOneWins() {
    List<Integer> numbers = new ArrayList<>();
    Future<String> answer = LostRaces.retry(4, n -> {
      numbers.add(n);
      return n < 3 ? LostRaces.again(RACE) : Future.succeededFuture("won at " + n);
    });
    assertThat(answer.result()).isEqualTo("won at 3");
    assertThat(numbers).containsExactly(1, 2, 3);
  }

  @Test
  void whenEveryAttemptLostTheAnswerIsAgentContendedOrWhatTheCallerSays() {
    List<Integer> numbers = new ArrayList<>();
    Future<String> contended = LostRaces.retry(3, n -> {
      numbers.add(n);
      return LostRaces.again(RACE);
    });
    assertThat(numbers).containsExactly(1, 2, 3);
    ApiError error = ApiError.of(contended.cause());
    assertThat(error.status()).isEqualTo(503);
    assertThat(error.error()).isEqualTo("agent_contended");
    assertThat(error.retryable()).isTrue();

    Future<String> told = LostRaces.retry(1, n -> LostRaces.again(RACE), race -> Future.succeededFuture("gave up on " + race.agentId()));
    assertThat(told.result()).isEqualTo("gave up on " + RACE.agentId());
  }

  @Test
  void anyOtherFailureIsTheAnswerAtOnce() {
    List<Integer> numbers = new ArrayList<>();
    IllegalStateException broken = new IllegalStateException("store down");
    Future<String> answer = LostRaces.retry(4, n -> {
      numbers.add(n);
      return Future.failedFuture(broken);
    });
    assertThat(answer.cause()).isSameAs(broken);
    assertThat(numbers).containsExactly(1);
  }

  @Test
  void anAnswerAlreadyInHandIsReturnedAsItIs() {
    Future<String> done = Future.succeededFuture("steady");
    assertThat(LostRaces.retry(3, n -> done)).isSameAs(done);
  }
}
