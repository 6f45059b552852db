package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The node-event plan of {@code chaos --nodes}: what it accepts, and the one-line refusals of what cannot be played. */
class ClusterPlanTest {
  private static final Duration RUN = Duration.ofSeconds(60);

  @Test
  void aKillNamesNodeTwoUnlessItSaysOtherwise() {
    assertThat(ClusterPlan.NodeLoss.parse("20s")).isEqualTo(new ClusterPlan.NodeLoss(2, Duration.ofSeconds(20)));
    assertThat(ClusterPlan.NodeLoss.parse("3@1500ms")).isEqualTo(new ClusterPlan.NodeLoss(3, Duration.ofMillis(1500)));
    assertThatThrownBy(() -> ClusterPlan.NodeLoss.parse("x@20s")).hasMessageContaining("N@AT");
  }

  @Test
  void aPlayablePlanPasses() {
    ClusterPlan plan = new ClusterPlan(3, new ClusterPlan.NodeLoss(2, Duration.ofSeconds(10)), Duration.ofSeconds(30),
        Duration.ofSeconds(45));
    assertThat(plan.check(RUN)).isSameAs(plan);
    assertThat(plan.separateProcesses()).isTrue();
    assertThat(ClusterPlan.ONE_JVM.check(RUN).separateProcesses()).isFalse();
  }

  @Test
  void killingTheOnlyNodeOfAModuleIsRefusedNamingTheModule() {
    // Two nodes: only node 2 runs a reconciler (node 1 is agent-facing with the dashboard).
    assertThatThrownBy(() -> new ClusterPlan(2, new ClusterPlan.NodeLoss(2, Duration.ofSeconds(10)), null, null).check(RUN))
        .hasMessageContaining("leaves no node running reconciler");
    // Three nodes: node 3 is the only one without heartbeat, and killing it leaves two of each.
    assertThat(new ClusterPlan(3, new ClusterPlan.NodeLoss(3, Duration.ofSeconds(10)), null, null).check(RUN)).isNotNull();
  }

  @Test
  void everyProblemIsNamedAtOnce() {
    assertThatThrownBy(() -> new ClusterPlan(3, new ClusterPlan.NodeLoss(4, Duration.ofSeconds(70)), Duration.ofSeconds(5), null)
        .check(RUN))
        .hasMessageContaining("names node 4; the run has nodes 1 to 3")
        .hasMessageContaining("--kill-node at 70s is not within --duration 1m")
        .hasMessageContaining("--restart-node at 5s must come after --kill-node at 70s");
    assertThatThrownBy(() -> new ClusterPlan(1, new ClusterPlan.NodeLoss(2, Duration.ofSeconds(10)), null, null).check(RUN))
        .hasMessageContaining("need --nodes 2 or more");
    assertThatThrownBy(() -> new ClusterPlan(3, null, Duration.ofSeconds(10), null).check(RUN))
        .hasMessageContaining("--restart-node needs --kill-node");
    assertThatThrownBy(() -> new ClusterPlan(10, null, null, null).check(RUN)).hasMessageContaining("--nodes must be from 1 to 9");
  }

  @Test
  void modulesAreSpreadAsInDockerCompose() {
    assertThat(ClusterPlan.verticles(1)).isEqualTo("heartbeat,token,provisioner,dashboard");
    assertThat(ClusterPlan.verticles(2)).isEqualTo("heartbeat,token,provisioner,reconciler");
    assertThat(ClusterPlan.verticles(3)).isEqualTo("token,provisioner,reconciler");
    // Every spread is one `serve --verticles` accepts.
    for (int n = 1; n <= ClusterPlan.MAX_NODES; n++) {
      assertThat(Modules.select(ClusterPlan.verticles(n))).isNotEmpty();
    }
  }
}
