package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.config.Setting;
import dev.rollcall.core.testing.TestServers;
import dev.rollcall.gatewaysim.FaultPlan;
import dev.rollcall.gatewaysim.FaultProfile;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rollcall chaos} at a small scale, as part of the test suite: 200 agents on 4 gateways, every
 * fault profile present, shortened timeouts, the real control plane, the real simulator over real HTTP.
 * The run must pass: every agent converged to what its fault allows, nothing wedged, every invariant held.
 */
class ChaosTest {

  /** Every fault profile: 5 % of the agents in each agent profile, a quarter of the gateways dark (the command's default). */
  static Map<FaultProfile, Double> everyFault() {
    return FaultPlan.parseShares(Arrays.stream(FaultProfile.values())
        .filter(p -> p != FaultProfile.HEALTHY)
        .map(p -> p.wireName() + "=" + (p == FaultProfile.GATEWAY_OUTAGE ? "0.25" : "0.05"))
        .collect(Collectors.joining(",")));
  }

  /** The variables a run loads its config from: the suite's shared servers. */
  static Map<String, String> sharedServers() {
    TestServers servers = TestServers.get();
    return Map.of(Setting.PG_URL.env(), servers.pgUrl(), Setting.REDIS_URL.env(), servers.redisUrl());
  }

  @Test
  @org.junit.jupiter.api.Timeout(value = 150, unit = java.util.concurrent.TimeUnit.SECONDS)
  void everyAgentConvergesAndEveryInvariantHoldsWithEveryFaultPresent(@TempDir Path dir) throws Exception {
    Path reportFile = dir.resolve("report.json");
    StringWriter text = new StringWriter();
    ChaosRun run = new ChaosRun(new ChaosRun.Options(200, 4, everyFault(), Duration.ofSeconds(40), 7, reportFile, Map.of()),
        new PrintWriter(text, true));

    JsonObject report = run.run(sharedServers());
    int exit = run.finish(report);

    String summary = text.toString();
    assertThat(report.getBoolean("passed")).as(summary).isTrue();
    assertThat(exit).isZero();
    assertThat(report.getInteger("wedged")).isZero();
    assertThat(report.getInteger("converged")).as(summary).isEqualTo(200);
    for (String invariant : new String[] {"single_instance_per_agent", "no_permanent_401", "offline_has_reason",
        "no_stuck_starting", "dispatch_rolled_back", "processed_implies_delivered", "no_double_dispatch", "wake_attempts_capped",
        "crash_detected"}) {
      JsonObject inv = report.getJsonObject("invariants").getJsonObject(invariant);
      assertThat(inv.getBoolean("holds")).as(invariant + ": " + inv.encode()).isTrue();
      assertThat(inv.getInteger("violations")).isZero();
    }
    // Every profile was in play, and the faults really happened.
    for (FaultProfile p : FaultProfile.values()) {
      assertThat(report.getJsonObject("faults").getInteger(p.wireName(), 0)).as(p.wireName()).isPositive();
    }
    assertThat(report.getJsonObject("detection_ms").getInteger("n")).as("crash-later agents detected").isEqualTo(10);
    assertThat(report.getJsonObject("tasks").getInteger("processed", 0)).isPositive();
    JsonObject evidence = report.getJsonObject("evidence");
    assertThat(evidence.getInteger("duplicate_instances_refused")).as("double-boot: the second instance refused").isPositive();
    assertThat(evidence.getInteger("unauthorized_streaks")).as("unauthorized: 401s happened").isPositive();
    assertThat(evidence.getInteger("crashes")).as("crash-later").isEqualTo(10);
    assertThat(evidence.getLong("lifecycle.reconcile.promoted", 0L)).as("stuck-starting: promoted").isGreaterThanOrEqualTo(10);
    assertThat(evidence.getLong("task.rolled_back", 0L)).as("start failures: rolled back").isPositive();
    assertThat(evidence.getLong("lifecycle.reconcile.max_attempts_reached", 0L)).as("never checking in: seed 01's verdict")
        .isGreaterThanOrEqualTo(20);
    assertThat(report.getJsonObject("final_status").getInteger("offline"))
        .as("crash-on-boot and stale-template agents end offline with a reason").isEqualTo(20);
    // The report file is the same JSON, and the human summary is a table, not a dump.
    assertThat(new JsonObject(Files.readString(reportFile))).isEqualTo(report);
    assertThat(summary).contains("invariant", "holds", "PASSED: yes");
  }
}
