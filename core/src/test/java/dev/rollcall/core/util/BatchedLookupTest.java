package dev.rollcall.core.util;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Group commit of lookups: nothing waits when idle, one query per round trip under load. */
class BatchedLookupTest {
  /** The queries the lookup sent, each answered when the test says so. */
  private final List<List<String>> sent = new ArrayList<>();
  private final List<Promise<Map<String, Integer>>> answers = new ArrayList<>();
  private final BatchedLookup<String, Integer> lookup = new BatchedLookup<>(3, 1, keys -> {
    sent.add(List.copyOf(keys));
    Promise<Map<String, Integer>> answer = Promise.promise();
    answers.add(answer);
    return answer.future();
  });

  @Test
  void aLookupWhenIdleIsSentAtOnceAndTheOnesArrivingMeanwhileGoTogetherWhenItReturns() {
    Future<Integer> first = lookup.get("a");
    assertThat(sent).containsExactly(List.of("a"));
    Future<Integer> b = lookup.get("b");
    Future<Integer> bAgain = lookup.get("b");
    Future<Integer> c = lookup.get("c");
    Future<Integer> d = lookup.get("d");
    Future<Integer> e = lookup.get("e");
    assertThat(sent).as("one query in flight at most").hasSize(1);

    answers.get(0).complete(Map.of("a", 1));
    assertThat(first.result()).isEqualTo(1);
    assertThat(sent).as("waiting keys, each once, at most three per query").hasSize(2);
    assertThat(sent.get(1)).containsExactly("b", "c", "d");

    answers.get(1).complete(values(sent.get(1)));
    assertThat(b.result()).isEqualTo(2);
    assertThat(bAgain.result()).isEqualTo(2);
    assertThat(c.result()).isEqualTo(3);
    assertThat(sent.get(2)).containsExactly("e");
    answers.get(2).complete(Map.of());
    assertThat(e.succeeded()).isTrue();
    assertThat(e.result()).as("not found").isNull();
    assertThat(d.result()).isEqualTo(4);
  }

  @Test
  void aFailedQueryFailsEveryLookupItCarriedAndTheNextOnesStillGo() {
    lookup.get("a");
    Future<Integer> b = lookup.get("b");
    Future<Integer> c = lookup.get("c");
    answers.get(0).fail(new IllegalStateException("connection lost"));
    assertThat(sent.get(1)).containsExactly("b", "c");
    answers.get(1).fail(new IllegalStateException("pool closed"));
    assertThat(b.failed()).isTrue();
    assertThat(c.cause()).hasMessage("pool closed");
    Future<Integer> later = lookup.get("b");
    assertThat(sent).hasSize(3);
    answers.get(2).complete(Map.of("b", 2));
    assertThat(later.result()).isEqualTo(2);
  }

  private static Map<String, Integer> values(List<String> keys) {
    return keys.stream().collect(Collectors.toMap(k -> k, k -> k.charAt(0) - 'a' + 1));
  }
}
