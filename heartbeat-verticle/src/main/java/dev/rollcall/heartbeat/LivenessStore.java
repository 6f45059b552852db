package dev.rollcall.heartbeat;

import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.redis.RedisClients;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Liveness leases in Redis ({@code rollcall:lease:<agentId>} = last-seen epoch ms, expiring after the
 * lease TTL), written by group commit: when no batch is in flight a heartbeat's lease is sent at once;
 * heartbeats that arrive while one is in flight share the next pipelined batch, sent when it returns.
 * Batches grow with load and cost nothing when idle; each heartbeat is answered only once its lease is
 * stored. If Redis fails, the waiting
 * heartbeats are answered 503 with Retry-After, so no agent believes it checked in when the control
 * plane could not record it (and the reconciler, reading the same Redis, cannot judge anyone either).
 * One instance per HTTP verticle instance, confined to its event loop.
 */
final class LivenessStore {
  static final String KEY_PREFIX = RedisClients.KEY_PREFIX + "lease:";
  private static final int MAX_BATCH = 512;

  private final Vertx vertx;
  private final Redis redis;
  private final Duration leaseTtl;
  private final DistributionSummary batchSizes;
  private final Timer flushTimes;
  private Map<UUID, Pending> pending = new LinkedHashMap<>();
  private long batchStartedNanos;
  private boolean inFlight;

  LivenessStore(Vertx vertx, Redis redis, Duration leaseTtl, MeterRegistry meters) {
    this.vertx = vertx;
    this.redis = redis;
    this.leaseTtl = leaseTtl;
    this.batchSizes = DistributionSummary.builder("rollcall.heartbeat.flush.size")
        .description("Leases written per Redis batch").register(meters);
    this.flushTimes = Timer.builder("rollcall.heartbeat.flush.lag")
        .description("Time from a batch's first heartbeat to its leases being stored").register(meters);
  }

  /** Completes once the agent's lease is stored; fails 503 {@code liveness_store_unavailable} otherwise. */
  Future<Void> record(UUID agentId, long seenAtMillis) {
    if (pending.isEmpty()) {
      batchStartedNanos = System.nanoTime();
    }
    Pending p = pending.computeIfAbsent(agentId, id -> new Pending());
    p.seenAt = Math.max(p.seenAt, seenAtMillis);
    Promise<Void> done = Promise.promise();
    p.waiting.add(done);
    if (!inFlight || pending.size() >= MAX_BATCH) {
      flush();
    }
    return done.future();
  }

  private void flush() {
    if (pending.isEmpty()) {
      return;
    }
    inFlight = true;
    Map<UUID, Pending> batch = pending;
    pending = new LinkedHashMap<>();
    long started = batchStartedNanos;
    List<Request> requests = new ArrayList<>(batch.size());
    batch.forEach((agentId, p) -> requests.add(Request.cmd(Command.SET).arg(KEY_PREFIX + agentId).arg(p.seenAt)
        .arg("PX").arg(leaseTtl.toMillis())));
    batchSizes.record(batch.size());
    redis.batch(requests).onComplete(ar -> {
      inFlight = false;
      flushTimes.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      for (Pending p : batch.values()) {
        for (Promise<Void> waiting : p.waiting) {
          if (ar.succeeded()) {
            waiting.complete();
          } else {
            waiting.fail(new ApiError(503, "liveness_store_unavailable", "the control plane cannot record heartbeats "
                + "right now; retry after the advertised delay (no agent is judged while this lasts)", true)
                .with("retryAfterSeconds", 5).exception());
          }
        }
      }
      flush();
    });
  }

  private static final class Pending {
    long seenAt;
    final List<Promise<Void>> waiting = new ArrayList<>(1);
  }
}
