package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The sweep's seed syntax and the run's fleet-sized settings (no servers: pure functions). */
class ChaosSweepTest {

  @Test
  void seedsAreARangeOrAListWithoutRepeats() {
    assertThat(ChaosSweep.parseSeeds("1..5")).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(ChaosSweep.parseSeeds("7, 3,7,11")).containsExactly(7L, 3L, 11L);
    assertThat(ChaosSweep.parseSeeds("1..3,10")).containsExactly(1L, 2L, 3L, 10L);
    assertThatThrownBy(() -> ChaosSweep.parseSeeds("5..1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ChaosSweep.parseSeeds("1..2000")).hasMessageContaining("at most 200");
    assertThatThrownBy(() -> ChaosSweep.parseSeeds("one")).hasMessageContaining("FROM..TO");
    assertThatThrownBy(() -> ChaosSweep.parseSeeds(" , ")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void largerFleetsHeartbeatLessOftenAndTheirSettingsStillValidate() {
    for (int agents : List.of(1, 200, 500, 2_000, 10_000, 100_000)) {
      Map<Setting, String> settings = ChaosRun.timeoutsFor(agents);
      // Loading validates them (the suspicion window against the heartbeat interval and the sample).
      RollcallConfig config = RollcallConfig.load(Map.of(), Optional.empty()).with(settings);
      long perSecond = agents * 1000L / config.heartbeatInterval().toMillis();
      assertThat(perSecond).as(agents + " agents").isLessThanOrEqualTo(ChaosRun.HEARTBEAT_BUDGET);
      assertThat(config.heartbeatInterval()).isGreaterThanOrEqualTo(Duration.ofMillis(500));
    }
    assertThat(ChaosRun.timeoutsFor(200)).isEqualTo(ChaosRun.SHORT_TIMEOUTS);
    assertThat(ChaosRun.timeoutsFor(2_000).get(Setting.HEARTBEAT_INTERVAL)).isEqualTo("2000ms");
    assertThat(ChaosRun.timeoutsFor(10_000).get(Setting.HEARTBEAT_INTERVAL)).isEqualTo("10000ms");
  }

  @Test
  void theOutageLastsLongEnoughForItsAgentsToBeJudgedOffline() {
    RollcallConfig config = RollcallConfig.load(Map.of(), Optional.empty()).with(ChaosRun.timeoutsFor(10_000));
    Duration outage = ChaosRun.outageFor(Duration.ofSeconds(60), config);
    assertThat(outage).isGreaterThan(config.leaseTtl().plus(config.suspicionWindow()));
    assertThat(ChaosRun.outageFor(Duration.ofMinutes(20), config)).isEqualTo(Duration.ofMinutes(5));
  }
}
