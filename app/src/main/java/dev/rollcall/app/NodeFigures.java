package dev.rollcall.app;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a node was doing, read off its Prometheus scrape: the few counters that say which work it carried
 * (heartbeats taken, lifecycle transitions made, reconcile ticks run, outage graces started by cause).
 * The chaos report keeps them per process incarnation, since a restarted node's counters begin at 0.
 */
final class NodeFigures {
  /** Figure name → the Prometheus sample name whose values (over every label set) are summed. */
  static final Map<String, String> SUMMED = new LinkedHashMap<>();

  static {
    SUMMED.put("heartbeats_accepted", "rollcall_heartbeat_accepted_total");
    SUMMED.put("lifecycle_transitions", "rollcall_lifecycle_transitions_total");
    SUMMED.put("reconcile_ticks", "rollcall_reconcile_tick_seconds_count");
    SUMMED.put("outage_graces", "rollcall_reconcile_outage_grace_total");
    SUMMED.put("eventloop_probes", "rollcall_eventloop_lag_seconds_count");
  }

  /** The lag probe's bucket at 100 ms: the probes that ran later than that are the count less this one. */
  private static final String LAG_BUCKET = "rollcall_eventloop_lag_seconds_bucket";
  private static final String LAG_LE = "0.1";

  /**
   * Figure name → a sample whose largest value (over label sets) is kept, in ms: Micrometer's {@code _max}
   * of the event-loop lag probe and of the reconcile tick (the longest of its recent window). A tick runs the
   * lapse scan and then drains the due queue, and the next tick waits for it: a long tick delays the scan.
   */
  static final Map<String, String> LARGEST = Map.of("eventloop_lag_max_ms", "rollcall_eventloop_lag_seconds_max",
      "reconcile_tick_max_ms", "rollcall_reconcile_tick_seconds_max");

  /** Outage graces are also kept per cause: {@code outage_graces_cluster_member_lost}. */
  private static final String GRACE = "rollcall_reconcile_outage_grace_total";

  private NodeFigures() {
  }

  static JsonObject of(String prometheusText) {
    Map<String, Double> figures = new LinkedHashMap<>();
    SUMMED.keySet().forEach(k -> figures.put(k, 0.0));
    for (String line : prometheusText.split("\n")) {
      if (line.isEmpty() || line.charAt(0) == '#') {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      if (space < 0) {
        continue;
      }
      String name = brace >= 0 && brace < space ? line.substring(0, brace) : line.substring(0, line.indexOf(' '));
      double value;
      try {
        value = Double.parseDouble(line.substring(space + 1).trim());
      } catch (NumberFormatException e) {
        continue;
      }
      SUMMED.forEach((figure, sample) -> {
        if (sample.equals(name)) {
          figures.merge(figure, value, Double::sum);
        }
      });
      LARGEST.forEach((figure, sample) -> {
        if (sample.equals(name)) {
          figures.merge(figure, value * 1000, Math::max);
        }
      });
      if (LAG_BUCKET.equals(name) && brace >= 0 && LAG_LE.equals(label(line.substring(brace, line.indexOf('}', brace) + 1), "le"))) {
        figures.merge("eventloop_probes_within_100ms", value, Double::sum);
      }
      if (GRACE.equals(name) && brace >= 0) {
        String cause = label(line.substring(brace, line.indexOf('}', brace) + 1), "cause");
        if (cause != null) {
          figures.merge("outage_graces_" + cause, value, Double::sum);
        }
      }
    }
    // Probes more than 100 ms late: one such stall delays every deadline on that loop.
    figures.put("eventloop_late_over_100ms", figures.get("eventloop_probes") - figures.getOrDefault("eventloop_probes_within_100ms", 0.0));
    figures.remove("eventloop_probes_within_100ms");
    JsonObject json = new JsonObject();
    figures.forEach(json::put);
    return json;
  }

  private static String label(String labels, String key) {
    String marker = key + "=\"";
    int at = labels.indexOf(marker);
    if (at < 0) {
      return null;
    }
    int from = at + marker.length();
    int to = labels.indexOf('"', from);
    return to < 0 ? null : labels.substring(from, to);
  }

  /**
   * {@link #sum} of what each incarnation did after it joined ({@code figures} less {@code figures_at_join},
   * counters only): the run proper, without the start.
   */
  static JsonObject sinceJoin(JsonArray incarnations) {
    JsonArray after = new JsonArray();
    for (Object o : incarnations) {
      JsonObject i = (JsonObject) o;
      JsonObject end = i.getJsonObject("figures", new JsonObject());
      JsonObject join = i.getJsonObject("figures_at_join", new JsonObject());
      JsonObject diff = new JsonObject();
      end.forEach(e -> {
        if (!LARGEST.containsKey(e.getKey())) {
          diff.put(e.getKey(), ((Number) e.getValue()).doubleValue() - join.getDouble(e.getKey(), 0.0));
        }
      });
      after.add(new JsonObject().put("figures", diff));
    }
    return sum(after);
  }

  /** The figures of every incarnation added up: what the node did over the whole run. */
  static JsonObject sum(JsonArray incarnations) {
    Map<String, Double> total = new LinkedHashMap<>();
    for (Object o : incarnations) {
      JsonObject figures = ((JsonObject) o).getJsonObject("figures", new JsonObject());
      figures.forEach(e -> total.merge(e.getKey(), ((Number) e.getValue()).doubleValue(),
          LARGEST.containsKey(e.getKey()) ? Math::max : Double::sum));
    }
    JsonObject json = new JsonObject();
    total.forEach(json::put);
    return json;
  }
}
