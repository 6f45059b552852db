package dev.rollcall.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.reconciler.FleetVerdict.GatewayCounts;
import dev.rollcall.reconciler.FleetVerdict.Verdict;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Mass failure is not agent failure: the fleet verdict rule by rule, at its boundaries, with a 55 % silent share. */
class FleetVerdictTest {
  private static final Instant NOW = Instant.parse("2026-12-07T08:00:00Z");
  private static final Instant MARKED = NOW.minusSeconds(60);
  private static final int SHARE = 55;

  private static GatewayCounts gateway(long running, long suspect) {
    return new GatewayCounts(UUID.randomUUID(), null, running, suspect, 0, 0);
  }

  private static GatewayCounts marked(long running, long suspect, long returned, long lost) {
    return new GatewayCounts(UUID.randomUUID(), MARKED, running, suspect, returned, lost);
  }

  private static Verdict decide(GatewayCounts... gateways) {
    return FleetVerdict.decide(List.of(gateways), SHARE, NOW);
  }

  @Test
  void aGatewayIsSilentFromTheShareOnAndIsMarkedNowWhileOthersAreHeard() {
    GatewayCounts atShare = gateway(20, 11); // 55 % exactly
    GatewayCounts below = gateway(20, 10); // 50 %
    Verdict v = decide(atShare, below);
    assertThat(v.fleetSilent()).isFalse();
    assertThat(v.judged()).isEqualTo(2);
    assertThat(v.toMark()).containsExactly(atShare);
    assertThat(v.unreachable()).containsOnlyKeys(atShare.gatewayId()).containsEntry(atShare.gatewayId(), NOW);
    assertThat(v.toClear()).isEmpty();
  }

  @Test
  void belowThreeRunningAgentsAGatewayIsNotJudged() {
    GatewayCounts small = gateway(FleetVerdict.MIN_AGENTS - 1, FleetVerdict.MIN_AGENTS - 1);
    GatewayCounts heard = gateway(10, 0);
    Verdict v = decide(small, heard);
    assertThat(v.judged()).isEqualTo(1);
    assertThat(v.toMark()).isEmpty();
    assertThat(decide(gateway(FleetVerdict.MIN_AGENTS, FleetVerdict.MIN_AGENTS), heard).toMark()).hasSize(1);
    // Only small gateways: nothing is judged, so the fleet is not silent either.
    assertThat(decide(small).fleetSilent()).isFalse();
    assertThat(decide().fleetSilent()).isFalse();
  }

  @Test
  void whenEveryJudgedGatewayIsSilentTheFleetIsSilentAndNoGatewayIsMarked() {
    GatewayCounts a = gateway(10, 10);
    GatewayCounts b = gateway(4, 3);
    GatewayCounts tooSmall = gateway(2, 0); // not judged: does not make the fleet heard
    Verdict v = decide(a, b, tooSmall);
    assertThat(v.fleetSilent()).isTrue();
    assertThat(v.toMark()).isEmpty();
    assertThat(v.unreachable()).isEmpty();
    // A mark made before the fleet went silent stays while its gateway is silent.
    GatewayCounts before = marked(10, 10, 0, 0);
    Verdict still = decide(a, before);
    assertThat(still.fleetSilent()).isTrue();
    assertThat(still.unreachable()).containsEntry(before.gatewayId(), MARKED);
    assertThat(still.toClear()).isEmpty();
  }

  @Test
  void theMarkIsStickyUntilAProbeWorkedOrTheSuspicionFadedWithNoAgentLost() {
    GatewayCounts heard = gateway(10, 0);
    GatewayCounts stillSilent = marked(10, 8, 0, 0);
    GatewayCounts probeWorked = marked(10, 8, 1, 3);
    GatewayCounts blip = marked(10, 0, 0, 0);
    GatewayCounts fadedButLost = marked(6, 0, 0, 4); // silence faded because agents went offline: not a blip
    Verdict v = decide(heard, stillSilent, probeWorked, blip, fadedButLost);
    assertThat(v.toMark()).isEmpty();
    assertThat(v.toClear()).containsExactlyInAnyOrder(probeWorked, blip);
    assertThat(v.unreachable()).containsOnlyKeys(stillSilent.gatewayId(), fadedButLost.gatewayId())
        .containsEntry(stillSilent.gatewayId(), MARKED);
  }

  @Test
  void theTallyCountsRunningAgentsForSilenceAndTheOthersForLossesSinceTheMark() {
    FleetVerdict.Tally tally = new FleetVerdict.Tally();
    UUID id = UUID.randomUUID();
    UUID empty = UUID.randomUUID();
    tally.gateway(id, MARKED);
    tally.gateway(empty, null);
    tally.agents(id, LifecycleStatus.READY, 5, 2, 1, 9);
    tally.agents(id, LifecycleStatus.BUSY, 2, 1, 0, 9);
    tally.agents(id, LifecycleStatus.STARTING, 1, 0, 1, 9);
    tally.agents(id, LifecycleStatus.DEGRADED, 1, 1, 0, 9);
    tally.agents(id, LifecycleStatus.OFFLINE, 4, 4, 4, 3);
    tally.agents(id, LifecycleStatus.WAKING, 2, 0, 0, 2);
    assertThat(tally.gateways()).containsExactlyInAnyOrder(
        new GatewayCounts(id, MARKED, 9, 4, 2, 5),
        new GatewayCounts(empty, null, 0, 0, 0, 0));
  }
}
