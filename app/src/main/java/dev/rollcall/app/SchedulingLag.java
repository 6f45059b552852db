package dev.rollcall.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How late the machine lets the event loops run: a periodic probe on every event loop records how much
 * later than its period each firing came. A busy machine (other processes on the same cores, a GC pause)
 * delays every deadline of the control plane and of the simulated agents by about this much.
 *
 * <p>Every {@link Node} runs one and publishes it as {@code rollcall.eventloop.lag}. A chaos run reads the
 * same probes through a {@link #window()} opened at its start, and adds the run's worst lag to the time
 * bounds it derives from the settings. On an idle machine it stays in the low milliseconds and the bounds
 * are the settings' own.
 */
final class SchedulingLag {
  static final Duration PERIOD = Duration.ofMillis(100);
  private static final int MAX_MS = 60_000;

  /** Firings per lag in whole milliseconds (the last bucket holds everything longer), since the node started. */
  private final AtomicLongArray histogram = new AtomicLongArray(MAX_MS + 1);
  private final List<Window> windows = new CopyOnWriteArrayList<>();

  /**
   * @param eventLoops how many probes: one per event loop (each is created outside any context, so round-robin);
   *     they stop with Vert.x
   * @param meters where every firing's lag is recorded as {@code rollcall.eventloop.lag}
   */
  SchedulingLag(Vertx vertx, int eventLoops, MeterRegistry meters) {
    Timer timer = Timer.builder("rollcall.eventloop.lag")
        .description("How much later than due a 100 ms probe on each event loop ran: the machine's and the node's own delay")
        .serviceLevelObjectives(Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofMillis(500))
        .register(meters);
    for (int i = 0; i < eventLoops; i++) {
      long[] last = {System.nanoTime()};
      vertx.setPeriodic(PERIOD.toMillis(), id -> {
        long now = System.nanoTime();
        long lateMs = Math.max(0, (now - last[0]) / 1_000_000 - PERIOD.toMillis());
        last[0] = now;
        histogram.incrementAndGet((int) Math.min(MAX_MS, lateMs));
        timer.record(Duration.ofMillis(lateMs));
        for (Window w : windows) {
          w.maxMs.accumulateAndGet(lateMs, Math::max);
        }
      });
    }
  }

  /** The lag from now on (a chaos run's), until the window is closed. */
  Window window() {
    Window w = new Window();
    windows.add(w);
    return w;
  }

  /** The probes' firings since the window opened. */
  final class Window implements AutoCloseable {
    private final long[] before = new long[MAX_MS + 1];
    /** Kept apart from the histogram: the chaos report reads it once per agent. */
    private final AtomicLong maxMs = new AtomicLong();

    private Window() {
      for (int ms = 0; ms <= MAX_MS; ms++) {
        before[ms] = histogram.get(ms);
      }
    }

    /** The worst lag seen so far. */
    Duration max() {
      return Duration.ofMillis(maxMs.get());
    }

    /** The lag that {@code quantile} of the firings stayed within. */
    Duration quantile(double quantile) {
      long total = 0;
      for (int ms = 0; ms <= MAX_MS; ms++) {
        total += histogram.get(ms) - before[ms];
      }
      long seen = 0;
      for (int ms = 0; ms <= MAX_MS; ms++) {
        seen += histogram.get(ms) - before[ms];
        if (total > 0 && seen >= Math.ceil(quantile * total)) {
          return Duration.ofMillis(ms);
        }
      }
      return Duration.ZERO;
    }

    JsonObject toJson() {
      return new JsonObject().put("p50_ms", quantile(0.5).toMillis()).put("p99_ms", quantile(0.99).toMillis())
          .put("max_ms", max().toMillis());
    }

    @Override
    public void close() {
      windows.remove(this);
    }
  }
}
