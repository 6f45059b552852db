package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The figures the chaos report keeps per node, read off Prometheus text as a node serves it. */
class NodeFiguresTest {
  private static final String SCRAPE = """
      # HELP rollcall_heartbeat_accepted_total Heartbeats accepted
      # TYPE rollcall_heartbeat_accepted_total counter
      rollcall_heartbeat_accepted_total{node="vm-1",status="ready"} 1200.0
      rollcall_heartbeat_accepted_total{node="vm-1",status="starting"} 34.0
      rollcall_lifecycle_transitions_total{node="vm-1",trigger="heartbeat.ready"} 17.0
      rollcall_reconcile_tick_seconds_count{node="vm-1"} 250.0
      rollcall_reconcile_tick_seconds_sum{node="vm-1"} 1.5
      rollcall_reconcile_outage_grace_total{cause="cluster_member_lost",node="vm-1"} 1.0
      rollcall_reconcile_outage_grace_total{cause="store_unavailable",node="vm-1"} 2.0
      rollcall_eventloop_lag_seconds_max{node="vm-1"} 0.25
      rollcall_eventloop_lag_seconds_bucket{node="vm-1",le="0.02"} 90.0
      rollcall_eventloop_lag_seconds_bucket{node="vm-1",le="0.1"} 97.0
      rollcall_eventloop_lag_seconds_bucket{node="vm-1",le="+Inf"} 100.0
      rollcall_eventloop_lag_seconds_count{node="vm-1"} 100.0
      rollcall_heartbeat_accepted_totalx 99.0
      """;

  @Test
  void sumsEachFigureOverItsLabelsAndKeepsGracesByCause() {
    JsonObject f = NodeFigures.of(SCRAPE);
    assertThat(f.getDouble("heartbeats_accepted")).isEqualTo(1234.0);
    assertThat(f.getDouble("lifecycle_transitions")).isEqualTo(17.0);
    assertThat(f.getDouble("reconcile_ticks")).isEqualTo(250.0);
    assertThat(f.getDouble("outage_graces")).isEqualTo(3.0);
    assertThat(f.getDouble("outage_graces_cluster_member_lost")).isEqualTo(1.0);
    assertThat(f.getDouble("outage_graces_store_unavailable")).isEqualTo(2.0);
    assertThat(f.getDouble("eventloop_lag_max_ms")).isEqualTo(250.0);
    assertThat(f.getDouble("eventloop_probes")).isEqualTo(100.0);
    assertThat(f.getDouble("eventloop_late_over_100ms")).isEqualTo(3.0);
  }

  @Test
  void aNodeWithoutAModuleHasZeroesAndIncarnationsAddUp() {
    JsonObject empty = NodeFigures.of("# nothing\n");
    assertThat(empty.getDouble("reconcile_ticks")).isZero();
    JsonObject total = NodeFigures.sum(new JsonArray()
        .add(new JsonObject().put("figures", NodeFigures.of(SCRAPE)))
        .add(new JsonObject().put("figures", NodeFigures.of(SCRAPE))));
    assertThat(total.getDouble("heartbeats_accepted")).isEqualTo(2468.0);
    assertThat(total.getDouble("eventloop_lag_max_ms")).as("the worst of the two, not their sum").isEqualTo(250.0);
  }

  @Test
  void whatCameAfterJoiningLeavesTheStartOut() {
    JsonObject atJoin = NodeFigures.of(SCRAPE.replace("} 1200.0", "} 200.0").replace("le=\"0.1\"} 97.0", "le=\"0.1\"} 99.0"));
    JsonObject after = NodeFigures.sinceJoin(new JsonArray()
        .add(new JsonObject().put("figures_at_join", atJoin).put("figures", NodeFigures.of(SCRAPE))));
    assertThat(after.getDouble("heartbeats_accepted")).isEqualTo(1000.0);
    // 1 probe late at the join, 3 in all: 2 came after it.
    assertThat(after.getDouble("eventloop_late_over_100ms")).isEqualTo(2.0);
    assertThat(after.containsKey("eventloop_lag_max_ms")).as("a largest value has no difference").isFalse();
  }
}
