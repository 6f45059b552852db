package dev.rollcall.heartbeat;

import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.liveness.Leases;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Writes liveness leases ({@link Leases}) in batches, one {@code ZADD GT} each, keeping only the latest
 * sighting per agent. Batches grow with load and cost nothing when idle.
 *
 * <p>Whether a heartbeat waits for its batch depends on what the store last did:
 * <ul>
 *   <li>store confirmed (the last batch was stored): the heartbeat is answered at once and its lease
 *       is written behind, with the others of the next {@value #LINGER_MILLIS} ms. If that batch
 *       fails, its leases are kept here and written again, so an accepted heartbeat is never lost while
 *       the node lives (a lease lasts three intervals; milliseconds behind cost nothing);</li>
 *   <li>store not confirmed (at start, or since a batch failed): group commit. The lease is sent at
 *       once if no batch is in flight, else with the next one, sent when that one returns; the
 *       heartbeat waits for its batch and is answered 503 {@code liveness_store_unavailable} with
 *       Retry-After if it fails, so no agent believes it checked in while the control plane cannot
 *       record it. The reconciler reads the same Redis, so it cannot judge anyone on lapsed leases
 *       meanwhile either.</li>
 * </ul>
 * One instance per HTTP verticle instance, confined to its event loop.
 */
final class LivenessStore {
  static final int MAX_BATCH = 512;
  private static final long RETRY_MILLIS = 1_000;
  static final long LINGER_MILLIS = 10;
  /** A batch Redis has not answered by then counts as failed (a hung connection must not hold heartbeats). */
  private static final long SEND_TIMEOUT_MILLIS = 2_000;
  /** A lease with no sighting waiting to be written. */
  private static final long NONE = Long.MIN_VALUE;

  private final Vertx vertx;
  private final Redis redis;
  private final DistributionSummary batchSizes;
  private final Timer flushLag;
  /** Leases with a sighting to write, each once however often its agent was seen meanwhile. */
  private List<Lease> pending = new ArrayList<>();
  private List<Promise<Void>> waiting = new ArrayList<>();
  private long batchStartedNanos;
  private int inFlight;
  private boolean confirmed;
  private boolean retryScheduled;
  private boolean lingering;
  private long batches;
  /** The latest batch that failed: an older batch answering late does not confirm the store again. */
  private long lastFailedBatch;

  LivenessStore(Vertx vertx, Redis redis, MeterRegistry meters) {
    this.vertx = vertx;
    this.redis = redis;
    this.batchSizes = DistributionSummary.builder("rollcall.heartbeat.flush.size")
        .description("Leases written per Redis batch").register(meters);
    this.flushLag = Timer.builder("rollcall.heartbeat.flush.lag")
        .description("Time from a batch's first heartbeat to its leases being stored").register(meters);
  }

  /**
   * Records that the agent was seen. Completes at once while the store is confirmed, otherwise once the
   * lease is stored; fails 503 {@code liveness_store_unavailable} if it cannot be.
   */
  Future<Void> record(Lease lease, long seenAtMillis) {
    if (lease.forgotten) {
      // A deleted agent's heartbeat that raced the delete: nothing is stored, so nothing to wait for.
      return Future.succeededFuture();
    }
    if (!confirmed && retryScheduled) {
      // A batch failed a moment ago and the retry timer probes Redis: answer at once instead of sending
      // the whole retained backlog again for every heartbeat while Redis is down.
      return Future.failedFuture(unavailable());
    }
    keep(lease, seenAtMillis);
    Future<Void> answer;
    if (confirmed) {
      answer = Future.succeededFuture();
    } else {
      Promise<Void> done = Promise.promise();
      waiting.add(done);
      answer = done.future();
    }
    if (pending.size() >= MAX_BATCH) {
      flush();
    } else if (!confirmed) {
      if (inFlight == 0) {
        flush();
      }
    } else if (!lingering) {
      // Nobody waits for a confirmed store's batch, so it may linger a few milliseconds and gather the
      // heartbeats of a whole window: one ZADD and one round trip for hundreds of leases, instead of
      // one per handful. A lease lasts three heartbeat intervals; being LINGER_MILLIS late costs nothing.
      lingering = true;
      vertx.setTimer(LINGER_MILLIS, id -> {
        lingering = false;
        flush();
      });
    }
    return answer;
  }

  /** The agent was deleted: its lease is not written again, even if a sighting is waiting. */
  void forget(Lease lease) {
    lease.forgotten = true;
  }

  /** Queues the sighting; a forgotten lease may be queued (a failed batch keeps it) but flush skips it. */
  private void keep(Lease lease, long seenAtMillis) {
    if (lease.pendingAt == NONE) {
      if (pending.isEmpty()) {
        batchStartedNanos = System.nanoTime();
      }
      pending.add(lease);
    }
    lease.pendingAt = Math.max(lease.pendingAt, seenAtMillis);
  }

  private void flush() {
    if (pending.isEmpty()) {
      return;
    }
    List<Lease> batch = pending;
    List<Promise<Void>> batchWaiting = waiting;
    long started = batchStartedNanos;
    pending = new ArrayList<>(batch.size());
    waiting = new ArrayList<>();
    Request zadd = Request.cmd(Command.ZADD).arg(Leases.KEY).arg("GT");
    long[] sentAt = new long[batch.size()];
    int members = 0;
    for (int i = 0; i < sentAt.length; i++) {
      Lease lease = batch.get(i);
      sentAt[i] = lease.pendingAt;
      lease.pendingAt = NONE;
      if (!lease.forgotten) {
        zadd.arg(sentAt[i]).arg(lease.member);
        members++;
      }
    }
    if (members == 0) {
      // Only deleted agents' sightings: nothing to store, and a ZADD without members is an error.
      batchWaiting.forEach(Promise::complete);
      return;
    }
    batchSizes.record(members);
    inFlight++;
    long batchNumber = ++batches;
    redis.send(zadd).timeout(SEND_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).onComplete(ar -> {
      inFlight--;
      if (ar.succeeded()) {
        confirmed = confirmed || batchNumber > lastFailedBatch;
        flushLag.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        batchWaiting.forEach(Promise::complete);
        if (inFlight == 0 && !lingering) {
          flush();
        }
      } else {
        confirmed = false;
        lastFailedBatch = Math.max(lastFailedBatch, batchNumber);
        batchWaiting.forEach(p -> p.fail(unavailable()));
        // Keep the leases (newer ones that arrived meanwhile win). The next heartbeat or the retry
        // timer sends them again; never at once, which would spin against a Redis that is down.
        for (int i = 0; i < sentAt.length; i++) {
          keep(batch.get(i), sentAt[i]);
        }
        retryLater();
      }
    });
  }

  private void retryLater() {
    if (retryScheduled) {
      return;
    }
    retryScheduled = true;
    vertx.setTimer(RETRY_MILLIS, id -> {
      retryScheduled = false;
      if (inFlight == 0) {
        flush();
      }
    });
  }

  private static RuntimeException unavailable() {
    return new ApiError(503, "liveness_store_unavailable", "the control plane cannot record heartbeats right now; "
        + "retry after the advertised delay (no agent is judged while this lasts)", true)
        .with("retryAfterSeconds", 5).exception();
  }

  /**
   * One agent's lease as this store writes it: the member text encoded once, and the latest sighting
   * not yet written. Held by the caller per agent, so a heartbeat records its sighting without a lookup.
   */
  static final class Lease {
    private final byte[] member;
    private long pendingAt = NONE;
    private boolean forgotten;

    Lease(UUID agentId) {
      this.member = agentId.toString().getBytes(StandardCharsets.US_ASCII);
    }
  }
}
