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
  }

  /**
   * Figure name → a sample whose largest value (over label sets) is kept: Micrometer's {@code _max} of
   * the event-loop lag probe, the worst lag of its recent window (about 2 minutes).
   */
  static final Map<String, String> LARGEST = Map.of("eventloop_lag_max_ms", "rollcall_eventloop_lag_seconds_max");

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
      if (GRACE.equals(name) && brace >= 0) {
        String cause = label(line.substring(brace, line.indexOf('}', brace) + 1), "cause");
        if (cause != null) {
          figures.merge("outage_graces_" + cause, value, Double::sum);
        }
      }
    }
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
