package dev.rollcall.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollcall.core.testing.Matrices;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every (status, trigger) pair of the lifecycle, checked against a matrix written out independently
 * of {@link LifecycleTable}'s rules. Cells: a target status letter, {@code =} legal and stays,
 * {@code -} illegal.
 */
class LifecycleTableTest {

  /** Column order of the matrix. */
  private static final List<LifecycleStatus> COLUMNS = List.of(
      LifecycleStatus.PROVISIONING, LifecycleStatus.WAKING, LifecycleStatus.STARTING, LifecycleStatus.READY,
      LifecycleStatus.BUSY, LifecycleStatus.DEGRADED, LifecycleStatus.OFFLINE, LifecycleStatus.DELETED);

  private static final Map<Character, LifecycleStatus> LETTERS = Map.of(
      'P', LifecycleStatus.PROVISIONING, 'W', LifecycleStatus.WAKING, 'S', LifecycleStatus.STARTING,
      'R', LifecycleStatus.READY, 'B', LifecycleStatus.BUSY, 'D', LifecycleStatus.DEGRADED,
      'O', LifecycleStatus.OFFLINE, 'X', LifecycleStatus.DELETED);

  private static final String MATRIX = """
      #                        prov wake strt rdy busy degr off  del
      PROVISION_REQUESTED      =    P    P    P   P    P    P    -
      PROVISION_ACCEPTED       W    =    =    =   =    =    -    -
      PROVISION_FAILED         O    -    -    -   -    -    -    -
      WAKE_SENT                -    =    -    -   -    -    W    -
      WAKE_ATTEMPTS_EXHAUSTED  -    O    -    -   -    -    -    -
      REGISTERED               S    S    =    =   =    =    S    -
      REPORTED_STARTING        S    S    =    =   =    =    S    -
      REPORTED_READY           R    R    R    =   =    R    R    -
      REPORTED_BUSY            R    R    R    =   =    =    R    -
      REPORTED_DEGRADED        D    D    D    D   =    =    D    -
      REPORTED_STOPPING        =    O    O    O   O    O    =    -
      STARTUP_PROMOTED         -    -    R    -   -    -    -    -
      TASK_DISPATCHED          -    -    -    B   -    -    -    -
      TASK_PROCESSED           -    -    -    =   R    -    -    -
      DISPATCH_ROLLED_BACK     -    -    -    =   R    -    -    -
      LEASE_EXPIRED            -    -    O    O   O    O    =    -
      LEASE_LAPSED             -    -    =    =   =    =    -    -
      LEASE_RENEWED            -    -    =    =   =    =    -    -
      DELETE_REQUESTED         X    X    X    X   X    X    X    =
      """;

  private static final Map<LifecycleTrigger, String> EXPECTED = parseMatrix();

  static Stream<Arguments> everyPair() {
    return Arrays.stream(LifecycleStatus.values())
        .flatMap(status -> Arrays.stream(LifecycleTrigger.values()).map(trigger -> Arguments.of(status, trigger)));
  }

  @Test
  void matrixCoversEveryTriggerAndStatus() {
    assertThat(EXPECTED.keySet()).containsExactlyInAnyOrder(LifecycleTrigger.values());
    assertThat(COLUMNS).containsExactlyInAnyOrder(LifecycleStatus.values());
    assertThat(everyPair()).hasSize(LifecycleStatus.values().length * LifecycleTrigger.values().length);
  }

  @ParameterizedTest(name = "{0} x {1}")
  @MethodSource("everyPair")
  void everyPairIsDecidedAsSpecified(LifecycleStatus from, LifecycleTrigger trigger) {
    char cell = EXPECTED.get(trigger).charAt(COLUMNS.indexOf(from));
    if (cell == '-') {
      assertThatThrownBy(() -> LifecycleTable.decide(from, trigger))
          .isInstanceOf(IllegalTransitionException.class)
          .hasMessageContaining(trigger.eventName())
          .hasMessageContaining("is " + from.wireName());
      assertThat(LifecycleTable.lookup(from, trigger)).isEmpty();
      assertThat(LifecycleTable.allowedFrom(trigger)).doesNotContain(from);
    } else {
      LifecycleStatus expected = cell == '=' ? from : LETTERS.get(cell);
      Transition t = LifecycleTable.decide(from, trigger);
      assertThat(t.from()).isEqualTo(from);
      assertThat(t.trigger()).isEqualTo(trigger);
      assertThat(t.to()).isEqualTo(expected);
      assertThat(t.changesStatus()).isEqualTo(cell != '=');
      assertThat(t.reason()).isNotBlank();
      assertThat(LifecycleTable.allowedFrom(trigger)).contains(from);
    }
  }

  @Test
  void illegalTransitionSaysWhereTheTriggerIsAllowed() {
    assertThatThrownBy(() -> LifecycleTable.decide(LifecycleStatus.READY, LifecycleTrigger.WAKE_SENT))
        .hasMessage("cannot apply lifecycle.wake.sent to an agent that is ready; "
            + "it applies only to an agent that is offline, waking");
  }

  @Test
  void transitionsListsExactlyTheLegalPairs() {
    long legalCells = EXPECTED.values().stream().flatMapToInt(String::chars).filter(c -> c != '-').count();
    assertThat(LifecycleTable.transitions()).hasSize((int) legalCells);
  }

  @Test
  void everyStatusIsReachableFromProvisioning() {
    assertThat(reachableFrom(LifecycleStatus.PROVISIONING)).containsExactlyInAnyOrder(LifecycleStatus.values());
  }

  @Test
  void everyTransitionalStatusHasAWayToOfflineOrReady() {
    for (LifecycleStatus status : LifecycleStatus.values()) {
      if (status.transitional()) {
        assertThat(reachableFrom(status)).as("from %s", status).contains(LifecycleStatus.READY, LifecycleStatus.OFFLINE);
      }
    }
  }

  @Test
  void deletedIsATombstone() {
    for (LifecycleTrigger trigger : LifecycleTrigger.values()) {
      boolean legal = LifecycleTable.lookup(LifecycleStatus.DELETED, trigger).isPresent();
      assertThat(legal).as(trigger.name()).isEqualTo(trigger == LifecycleTrigger.DELETE_REQUESTED);
    }
    assertThat(LifecycleTable.decide(LifecycleStatus.DELETED, LifecycleTrigger.DELETE_REQUESTED).changesStatus()).isFalse();
  }

  @Test
  void seedNamesAreKeptVerbatim() {
    assertThat(LifecycleTrigger.WAKE_ATTEMPTS_EXHAUSTED.eventName()).isEqualTo("lifecycle.reconcile.max_attempts_reached");
    assertThat(LifecycleEventNames.RECONCILE_DEFERRED).isEqualTo("lifecycle.reconcile.deferred");
    assertThat(LifecycleEventNames.RECONCILE_RETRIGGERED).isEqualTo("lifecycle.reconcile.retriggered");
    assertThat(LifecycleEventNames.RECONCILE_SKIP_NOT_STUCK).isEqualTo("lifecycle.reconcile.skip_not_stuck");
    assertThat(LifecycleEventNames.QUEUE_ENQUEUED).isEqualTo("lifecycle.queue.enqueued");
  }

  @Test
  void wireNamesRoundTrip() {
    for (LifecycleStatus status : LifecycleStatus.values()) {
      assertThat(LifecycleStatus.fromWire(status.wireName())).contains(status);
    }
    assertThat(LifecycleStatus.fromWire("READY")).isEmpty();
    assertThat(LifecycleStatus.fromWire(null)).isEmpty();
  }

  private static Set<LifecycleStatus> reachableFrom(LifecycleStatus start) {
    return Matrices.reachable(start, s -> Arrays.stream(LifecycleTrigger.values())
        .flatMap(trigger -> LifecycleTable.lookup(s, trigger).map(Transition::to).stream()).toList());
  }

  private static Map<LifecycleTrigger, String> parseMatrix() {
    Map<LifecycleTrigger, String> rows = new EnumMap<>(LifecycleTrigger.class);
    Matrices.rows(MATRIX, LifecycleTrigger.class, COLUMNS.size()).forEach((trigger, cells) -> rows.put(trigger, String.join("", cells)));
    return rows;
  }
}
