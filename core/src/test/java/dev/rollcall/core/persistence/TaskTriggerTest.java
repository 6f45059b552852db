package dev.rollcall.core.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollcall.core.persistence.TaskRecord.State;
import dev.rollcall.core.testing.Matrices;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every (state, trigger) pair of the task lifecycle, checked against a matrix written out independently
 * of {@link TaskTrigger}. Cells: a target state letter, {@code =} legal and stays, {@code -} illegal; the
 * {@code new} column is a task that does not exist yet. The last column is the event name, verbatim: the
 * tests, the chaos report and operators search {@code task_events} for these.
 */
class TaskTriggerTest {

  private static final List<State> COLUMNS = List.of(State.QUEUED, State.DISPATCHED, State.DELIVERED, State.PROCESSED, State.FAILED);

  private static final Map<Character, State> LETTERS = Map.of(
      'Q', State.QUEUED, 'D', State.DISPATCHED, 'V', State.DELIVERED, 'P', State.PROCESSED, 'F', State.FAILED);

  private static final String MATRIX = """
      #                          new  queu disp deli proc fail  event
      CREATED                    Q    -    -    -    -    -     task.queued
      DISPATCHED                 -    D    -    -    -    -     task.dispatched
      START_UNCONFIRMED          -    -    =    -    -    -     task.start_unconfirmed
      START_ACCEPTED             -    -    V    =    -    -     task.delivered
      ACKNOWLEDGED               -    -    P    P    -    -     task.processed
      START_FAILED               -    -    Q    -    -    -     task.rolled_back
      START_FAILED_FOR_GOOD      -    -    F    -    -    -     task.failed
      INSTANCE_LOST              -    -    Q    Q    -    -     task.requeued
      INSTANCE_LOST_FOR_GOOD     -    -    F    F    -    -     task.failed
      REQUESTED_AGENT_DELETED    -    F    -    -    -    -     task.failed
      """;

  private record Row(char created, String cells, String event) {
  }

  private static final Map<TaskTrigger, Row> EXPECTED = parseMatrix();

  static Stream<Arguments> everyPair() {
    return Arrays.stream(State.values()).flatMap(state -> Arrays.stream(TaskTrigger.values()).map(t -> Arguments.of(state, t)));
  }

  @Test
  void matrixCoversEveryTriggerAndState() {
    assertThat(EXPECTED.keySet()).containsExactlyInAnyOrder(TaskTrigger.values());
    assertThat(COLUMNS).containsExactlyInAnyOrder(State.values());
  }

  @ParameterizedTest(name = "{0} x {1}")
  @MethodSource("everyPair")
  void everyPairIsAsSpecified(State from, TaskTrigger trigger) {
    char cell = EXPECTED.get(trigger).cells().charAt(COLUMNS.indexOf(from));
    assertThat(trigger.appliesTo(from)).isEqualTo(cell != '-');
    assertThat(trigger.from().contains(from)).isEqualTo(cell != '-');
    if (cell != '-') {
      assertThat(trigger.to()).isEqualTo(cell == '=' ? from : LETTERS.get(cell));
    }
  }

  @ParameterizedTest
  @EnumSource(TaskTrigger.class)
  void eachTriggerRecordsItsEventAndSaysWhy(TaskTrigger trigger) {
    Row row = EXPECTED.get(trigger);
    assertThat(trigger.eventName()).isEqualTo(row.event());
    assertThat(trigger.reason()).isNotBlank();
    if (row.created() != '-') {
      assertThat(trigger.from()).isEmpty();
      assertThat(trigger.to()).isEqualTo(LETTERS.get(row.created()));
    }
  }

  @Test
  void onlyCreationAppliesToATaskThatDoesNotExist() {
    assertThat(Arrays.stream(TaskTrigger.values()).filter(t -> t.from().isEmpty())).containsExactly(TaskTrigger.CREATED);
  }

  @Test
  void processedAndFailedAreFinal() {
    for (TaskTrigger trigger : TaskTrigger.values()) {
      assertThat(trigger.appliesTo(State.PROCESSED)).as(trigger.name()).isFalse();
      assertThat(trigger.appliesTo(State.FAILED)).as(trigger.name()).isFalse();
    }
  }

  @Test
  void everyStateIsReachableFromCreationAndEveryOtherEndsProcessedOrFailed() {
    assertThat(reachableFrom(TaskTrigger.CREATED.to())).containsExactlyInAnyOrder(State.values());
    for (State s : EnumSet.of(State.QUEUED, State.DISPATCHED, State.DELIVERED)) {
      assertThat(reachableFrom(s)).as("from %s", s).contains(State.PROCESSED, State.FAILED);
    }
  }

  @Test
  void anAttemptIsLiveWhileDispatchedOrDelivered() {
    assertThat(TaskTrigger.live()).containsExactly(State.DISPATCHED, State.DELIVERED);
    for (State s : State.values()) {
      assertThat(s.attemptLive()).as(s.wireName()).isEqualTo(TaskTrigger.live().contains(s));
    }
  }

  @Test
  void triggersThatOneStatementServesShareTheirFromStates() {
    // SETTLE serves the gateway's acceptance and both reports; the rollback's locked row serves both
    // outcomes of a failed start; releaseLiveTasksIn's CASE serves both outcomes of a lost instance.
    assertThat(TaskTrigger.ACKNOWLEDGED.from()).isEqualTo(TaskTrigger.START_ACCEPTED.from()).isEqualTo(TaskTrigger.live());
    assertThat(TaskTrigger.START_FAILED_FOR_GOOD.from()).isEqualTo(TaskTrigger.START_FAILED.from());
    assertThat(TaskTrigger.INSTANCE_LOST_FOR_GOOD.from()).isEqualTo(TaskTrigger.INSTANCE_LOST.from()).isEqualTo(TaskTrigger.live());
    assertThatThrownBy(() -> TaskTrigger.whereFrom(TaskTrigger.DISPATCHED, TaskTrigger.ACKNOWLEDGED))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("from-states differ");
  }

  @Test
  void theGeneratedConditionsReadAsTheSqlDidBeforeTheTable() {
    assertThat(TaskTrigger.DISPATCHED.whereFrom()).isEqualTo("state = 'queued'");
    assertThat(TaskTrigger.REQUESTED_AGENT_DELETED.whereFrom()).isEqualTo("state = 'queued'");
    assertThat(TaskTrigger.whereFrom(TaskTrigger.START_ACCEPTED, TaskTrigger.ACKNOWLEDGED)).isEqualTo("state IN ('dispatched', 'delivered')");
    assertThat(TaskTrigger.whereLive("t.state")).isEqualTo("t.state IN ('dispatched', 'delivered')");
    assertThat(TaskTrigger.CREATED.toSql()).isEqualTo("'queued'");
    assertThat(TaskTrigger.INSTANCE_LOST_FOR_GOOD.toSql()).isEqualTo("'failed'");
    assertThatThrownBy(TaskTrigger.CREATED::whereFrom).isInstanceOf(IllegalStateException.class);
  }

  /**
   * The schema agrees with the table: its CHECK lists every state, and its partial indexes are written with
   * the conditions the queries now generate (a partial index serves only a query whose condition implies its own).
   */
  @Test
  void theMigrationAgreesWithTheTable() throws IOException {
    String migration;
    try (InputStream in = TaskTriggerTest.class.getResourceAsStream("/db/migration/V4__tasks.sql")) {
      assertThat(in).as("V4__tasks.sql on the classpath").isNotNull();
      migration = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String all = Arrays.stream(State.values()).map(s -> "'" + s.wireName() + "'").collect(Collectors.joining(", "));
    assertThat(migration).contains("CHECK (state IN (" + all + "))")
        .contains("CREATE INDEX tasks_queued ON tasks (not_before) WHERE " + TaskTrigger.DISPATCHED.whereFrom() + ";")
        .contains("CREATE INDEX tasks_by_agent ON tasks (agent_id) WHERE " + TaskTrigger.whereLive("state") + ";");
  }

  private static Set<State> reachableFrom(State start) {
    return Matrices.reachable(start, s -> Arrays.stream(TaskTrigger.values()).filter(t -> t.appliesTo(s)).map(TaskTrigger::to).toList());
  }

  private static Map<TaskTrigger, Row> parseMatrix() {
    Map<TaskTrigger, Row> rows = new EnumMap<>(TaskTrigger.class);
    Matrices.rows(MATRIX, TaskTrigger.class, COLUMNS.size() + 2).forEach((trigger, cells) -> rows.put(trigger,
        new Row(cells.get(0).charAt(0), String.join("", cells.subList(1, cells.size() - 1)), cells.get(cells.size() - 1))));
    return rows;
  }
}
