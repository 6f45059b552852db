package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rollcall chaos --nodes 3 --kill-node 2@12s --restart-node 26s} at a small scale, as part of the
 * suite: three separate {@code serve --cluster} processes and the simulator in a fourth, 300 agents with
 * every fault profile, node 2 (heartbeat and a reconciler) lost to SIGKILL in the middle of the run and
 * started again later. The run must pass, the node-loss invariants with it, and the report must show
 * what each node did and that the survivors absorbed the loss.
 */
class ChaosClusterTest {

  @Test
  void aNodeProcessGetsWhatTheJarsManifestOpens() throws Exception {
    String pom = java.nio.file.Files.readString(Path.of("pom.xml"));
    java.util.regex.Matcher opens = java.util.regex.Pattern.compile("<Add-Opens>([^<]*)</Add-Opens>").matcher(pom);
    java.util.regex.Matcher exports = java.util.regex.Pattern.compile("<Add-Exports>([^<]*)</Add-Exports>").matcher(pom);
    assertThat(opens.find()).isTrue();
    assertThat(exports.find()).isTrue();
    for (String pkg : opens.group(1).trim().split("\\s+")) {
      assertThat(ChaosCluster.OPENS).contains("--add-opens=" + pkg + "=ALL-UNNAMED");
    }
    for (String pkg : exports.group(1).trim().split("\\s+")) {
      assertThat(ChaosCluster.OPENS).contains("--add-exports=" + pkg + "=ALL-UNNAMED");
    }
  }

  @Test
  @org.junit.jupiter.api.Timeout(value = 240, unit = java.util.concurrent.TimeUnit.SECONDS)
  void threeNodesWithOneKilledAndRestartedConvergeWithEveryInvariantHeld(@TempDir Path dir) throws Exception {
    Duration runFor = Duration.ofSeconds(40);
    ClusterPlan cluster = new ClusterPlan(3, new ClusterPlan.NodeLoss(2, Duration.ofSeconds(12)), Duration.ofSeconds(26), null)
        .check(runFor);
    StringWriter text = new StringWriter();
    ChaosRun run = new ChaosRun(new ChaosRun.Options(300, 4, ChaosTest.everyFault(), runFor, 5, dir.resolve("report.json"), Map.of(), cluster),
        new PrintWriter(text, true));

    JsonObject report = run.run(ChaosTest.sharedServers());
    int exit = run.finish(report);

    String summary = text.toString();
    assertThat(report.getBoolean("passed")).as(summary).isTrue();
    assertThat(exit).isZero();
    assertThat(report.getInteger("converged")).as(summary).isEqualTo(300);
    assertThat(report.getInteger("wedged")).isZero();
    for (String invariant : new String[] {"single_instance_per_agent", "no_permanent_401", "no_double_dispatch",
        "no_stuck_starting", "no_offline_for_node_loss", "node_loss_absorbed"}) {
      JsonObject inv = report.getJsonObject("invariants").getJsonObject(invariant);
      assertThat(inv).as(invariant).isNotNull();
      assertThat(inv.getBoolean("holds")).as(invariant + ": " + inv.encode()).isTrue();
    }
    assertThat(report.getJsonObject("tasks").getInteger("processed", 0)).isPositive();

    JsonObject nodes = report.getJsonObject("cluster");
    JsonArray perNode = nodes.getJsonArray("nodes");
    assertThat(perNode).hasSize(3);
    // Node 2: killed, then a second process; its first one's figures were kept although it died.
    JsonObject second = perNode.getJsonObject(1);
    assertThat(second.getJsonArray("incarnations")).hasSize(2);
    JsonObject killed = second.getJsonArray("incarnations").getJsonObject(0);
    assertThat(killed.getString("how")).isEqualTo("killed (SIGKILL)");
    assertThat(killed.getJsonObject("figures").getDouble("reconcile_ticks")).as("node 2 reconciled before its loss").isPositive();
    assertThat(second.getBoolean("running")).isTrue();
    // Both agent-facing nodes took heartbeats; the back-office node reconciled and started a grace for the loss.
    assertThat(perNode.getJsonObject(0).getJsonObject("totals").getDouble("heartbeats_accepted")).isPositive();
    assertThat(killed.getJsonObject("figures").getDouble("heartbeats_accepted")).isPositive();
    JsonObject backOffice = perNode.getJsonObject(2).getJsonObject("totals");
    assertThat(backOffice.getDouble("reconcile_ticks")).isPositive();
    assertThat(backOffice.getDouble("outage_graces_cluster_member_lost", 0.0)).isGreaterThanOrEqualTo(1.0);

    JsonObject kill = nodes.getJsonArray("events").stream().map(o -> (JsonObject) o)
        .filter(e -> "killed".equals(e.getString("what"))).findFirst().orElseThrow();
    assertThat(kill.getInteger("node")).isEqualTo(2);
    assertThat(kill.getBoolean("absorbed")).as(kill.encode()).isTrue();
    assertThat(kill.getJsonObject("membership_ms").fieldNames()).containsExactlyInAnyOrder("node-1", "node-3");
    assertThat(kill.getJsonObject("outage_grace_ms").fieldNames()).containsExactly("node-3");
    assertThat(kill.getInteger("healthy_agents_cut_off")).isPositive();
    assertThat(nodes.getJsonArray("events").stream().map(o -> ((JsonObject) o).getString("what"))).contains("restarted");
    assertThat(summary).contains("cluster", "killed node 2", "node_loss_absorbed", "PASSED: yes");
  }
}
