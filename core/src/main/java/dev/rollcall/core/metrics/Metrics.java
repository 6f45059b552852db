package dev.rollcall.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.micrometer.MicrometerMetricsOptions;

/**
 * The node's one Prometheus registry. Vert.x publishes its own meters (HTTP server, event bus, pools,
 * JVM) into it as {@code vertx_*} and {@code jvm_*}; ours are named {@code rollcall.<context>.<noun>},
 * rendered {@code rollcall_<context>_<noun>...}, with low-cardinality tags only (never an agent id).
 */
public final class Metrics {
  public static final String PREFIX = "rollcall.";

  private Metrics() {
  }

  public static PrometheusMeterRegistry newRegistry(String node) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("node", node);
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        return id;
      }
    });
    return registry;
  }

  /**
   * Counts one occurrence in the counter {@code name} with these tags ({@code key, value, ...}), created
   * on first use. For outcomes with a small fixed set of tag values; never an id.
   */
  public static void count(MeterRegistry registry, String name, String description, String... tags) {
    Counter.builder(name).description(description).tags(tags).register(registry).increment();
  }

  public static MicrometerMetricsOptions vertxOptions() {
    return new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true);
  }
}
