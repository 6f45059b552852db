package dev.rollcall.gatewaysim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FaultPlanTest {
  private static final Map<String, List<String>> FLEET = fleet(4, 200);

  @Test
  void theSameSeedGivesTheSameAssignmentAndAnotherSeedAnother() {
    Map<FaultProfile, Double> shares = FaultPlan.parseShares("crash-on-boot=0.1,stuck-starting=0.2,gateway-outage=0.25");
    assertThat(FaultPlan.assign(42, FLEET, shares)).isEqualTo(FaultPlan.assign(42, FLEET, shares));
    assertThat(FaultPlan.assign(42, FLEET, shares)).isNotEqualTo(FaultPlan.assign(43, FLEET, shares));
  }

  @Test
  void sharesBecomeCountsAndGatewayOutageTakesWholeGateways() {
    Map<String, FaultProfile> plan = FaultPlan.assign(7, FLEET,
        FaultPlan.parseShares("crash-on-boot=0.1,stuck-starting=0.2,gateway-outage=0.25"));
    assertThat(Collections.frequency(plan.values(), FaultProfile.CRASH_ON_BOOT)).isEqualTo(20);
    assertThat(Collections.frequency(plan.values(), FaultProfile.STUCK_STARTING)).isEqualTo(40);
    assertThat(Collections.frequency(plan.values(), FaultProfile.GATEWAY_OUTAGE)).isEqualTo(50);
    long darkGateways = FLEET.values().stream()
        .filter(agents -> agents.stream().allMatch(a -> plan.get(a) == FaultProfile.GATEWAY_OUTAGE)).count();
    assertThat(darkGateways).isEqualTo(1);
    assertThat(plan).hasSize(200);
  }

  @Test
  void neverEveryGatewayDark() {
    Map<String, FaultProfile> plan = FaultPlan.assign(1, fleet(2, 10), FaultPlan.parseShares("gateway-outage=1"));
    assertThat(Collections.frequency(plan.values(), FaultProfile.GATEWAY_OUTAGE)).isEqualTo(5);
  }

  @Test
  void sharesThatDoNotFitBesideTheDarkGatewaysAreAClearError() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> FaultPlan.assign(1, fleet(2, 10),
            FaultPlan.parseShares("gateway-outage=0.5,crash-on-boot=0.4,stuck-starting=0.4")))
        .hasMessageContaining("only 5 are left");
  }

  @Test
  void badSharesAreClearErrors() {
    assertThatThrownBy(() -> FaultPlan.parseShares("crash-on-bot=0.1")).hasMessageContaining("unknown fault profile 'crash-on-bot'");
    assertThatThrownBy(() -> FaultPlan.parseShares("crash-on-boot=2")).hasMessageContaining("from 0 to 1");
    assertThatThrownBy(() -> FaultPlan.parseShares("crash-on-boot")).hasMessageContaining("from 0 to 1");
    assertThatThrownBy(() -> FaultPlan.parseShares("crash-on-boot=0.6,stuck-starting=0.6")).hasMessageContaining("add up to");
  }

  private static Map<String, List<String>> fleet(int gateways, int agents) {
    Map<String, List<String>> fleet = new LinkedHashMap<>();
    for (int g = 1; g <= gateways; g++) {
      fleet.put("gw-" + g, new ArrayList<>());
    }
    for (int a = 1; a <= agents; a++) {
      fleet.get("gw-" + (1 + (a - 1) % gateways)).add("agent-" + a);
    }
    return fleet;
  }
}
