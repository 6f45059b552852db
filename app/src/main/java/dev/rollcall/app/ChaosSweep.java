package dev.rollcall.app;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code rollcall chaos --seeds 1..20}: the same run once per seed, one after the other, each against its
 * own node and fleet; one line per seed as it ends (the failed ones followed by their whole summary, so
 * the violation is explained where it is reported) and a summary with the medians over the seeds. A
 * guarantee shown for one seed is a guarantee for one fault plan.
 */
final class ChaosSweep {
  /** Seeds one sweep may run: a typo like 1..2000 should not start a day-long run. */
  static final int MAX_SEEDS = 200;

  private final ChaosRun.Options options;
  private final List<Long> seeds;
  private final PrintWriter out;

  ChaosSweep(ChaosRun.Options options, List<Long> seeds, PrintWriter out) {
    this.options = options;
    this.seeds = seeds;
    this.out = out;
  }

  /** {@code FROM..TO} (inclusive) or {@code A,B,C}. */
  static List<Long> parseSeeds(String text) {
    Set<Long> seeds = new LinkedHashSet<>();
    try {
      for (String part : text.split(",")) {
        String p = part.trim();
        int range = p.indexOf("..");
        if (range >= 0) {
          long from = Long.parseLong(p.substring(0, range).trim());
          long to = Long.parseLong(p.substring(range + 2).trim());
          if (to < from || to - from >= MAX_SEEDS) {
            throw new IllegalArgumentException("--seeds " + p + ": a range runs from a smaller seed to a larger one, at most "
                + MAX_SEEDS + " seeds");
          }
          for (long s = from; s <= to; s++) {
            seeds.add(s);
          }
        } else if (!p.isEmpty()) {
          seeds.add(Long.parseLong(p));
        }
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--seeds " + text + ": expected FROM..TO or a comma-separated list of seeds");
    }
    if (seeds.isEmpty() || seeds.size() > MAX_SEEDS) {
      throw new IllegalArgumentException("--seeds " + text + ": between 1 and " + MAX_SEEDS + " seeds");
    }
    return List.copyOf(seeds);
  }

  /** Runs every seed; exit code 0 only when each passed. */
  int run(Map<String, String> env) throws Exception {
    out.printf("chaos sweep: %d agents on %d gateways, %s, seeds %s%n", options.agents(), options.gateways(),
        dev.rollcall.core.config.Durations.format(options.duration()), seeds);
    out.flush();
    JsonArray runs = new JsonArray();
    List<Long> failed = new ArrayList<>();
    List<Long> convergenceP99 = new ArrayList<>();
    List<Long> detectionP99 = new ArrayList<>();
    List<Long> wall = new ArrayList<>();
    for (long seed : seeds) {
      StringWriter text = new StringWriter();
      ChaosRun run = new ChaosRun(options.withSeed(seed, null), new PrintWriter(text, true));
      long started = System.nanoTime();
      JsonObject report = run.run(env);
      run.finish(report);
      long ms = Duration.ofNanos(System.nanoTime() - started).toMillis();
      wall.add(ms);
      runs.add(report.copy().put("wallMs", ms));
      boolean passed = report.getBoolean("passed");
      if (!passed) {
        failed.add(seed);
      }
      add(convergenceP99, report.getJsonObject("convergence_ms").getValue("p99"));
      add(detectionP99, report.getJsonObject("detection_ms").getValue("p99"));
      out.println(line(seed, report, ms));
      if (!passed) {
        out.print(text.toString().substring(Math.max(0, text.toString().indexOf("\nchaos run:"))));
      }
      out.flush();
    }
    JsonObject summary = new JsonObject().put("seeds", new JsonArray(new ArrayList<>(seeds))).put("passed", seeds.size() - failed.size())
        .put("failed", new JsonArray(new ArrayList<>(failed)))
        .put("convergence_p99_ms", spread(convergenceP99)).put("detection_p99_ms", spread(detectionP99)).put("wall_ms", spread(wall));
    out.printf("%nsweep: %d of %d seeds passed%s; over the seeds, convergence p99 %s ms, detection p99 %s ms, wall %s ms "
            + "(median [min-max])%n", seeds.size() - failed.size(), seeds.size(), failed.isEmpty() ? "" : ", FAILED: " + failed,
        text(summary.getJsonObject("convergence_p99_ms")), text(summary.getJsonObject("detection_p99_ms")),
        text(summary.getJsonObject("wall_ms")));
    out.printf("SWEEP PASSED: %s%n", failed.isEmpty() ? "yes" : "NO");
    out.flush();
    if (options.report() != null) {
      Files.writeString(options.report(), new JsonObject().put("summary", summary).put("runs", runs).encodePrettily());
    }
    return failed.isEmpty() ? 0 : 1;
  }

  private static String line(long seed, JsonObject r, long wallMs) {
    List<String> broken = new ArrayList<>();
    r.getJsonObject("invariants").forEach(e -> {
      JsonObject inv = (JsonObject) e.getValue();
      if (!inv.getBoolean("holds")) {
        broken.add(e.getKey() + "=" + inv.getInteger("violations"));
      }
    });
    JsonObject bounds = r.getJsonObject("bounds");
    bounds.fieldNames().stream().filter(k -> bounds.getValue(k) instanceof JsonObject b && !b.getBoolean("holds"))
        .forEach(k -> broken.add(k + " exceeded"));
    JsonObject c = r.getJsonObject("convergence_ms");
    JsonObject d = r.getJsonObject("detection_ms");
    return String.format("seed %-6d %-6s converged %d/%d, wedged %d, convergence p50/p99 %s/%s ms, detection p99 %s ms, "
            + "longest 401 %d ms, wall %d s%s",
        seed, r.getBoolean("passed") ? "passed" : "FAILED", r.getInteger("converged"), r.getInteger("agents"), r.getInteger("wedged"),
        c.getValue("p50"), c.getValue("p99"), d.getValue("p99"), bounds.getLong("longest_401_ms"), wallMs / 1000,
        broken.isEmpty() ? "" : ", broken: " + broken);
  }

  private static void add(List<Long> values, Object value) {
    if (value instanceof Number n) {
      values.add(n.longValue());
    }
  }

  private static JsonObject spread(List<Long> values) {
    if (values.isEmpty()) {
      return new JsonObject();
    }
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return new JsonObject().put("median", sorted.get(sorted.size() / 2)).put("min", sorted.get(0)).put("max", sorted.get(sorted.size() - 1));
  }

  private static String text(JsonObject spread) {
    return spread.isEmpty() ? "-" : spread.getLong("median") + " [" + spread.getLong("min") + "-" + spread.getLong("max") + "]";
  }
}
