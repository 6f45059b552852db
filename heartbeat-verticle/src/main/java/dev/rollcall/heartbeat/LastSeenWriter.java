package dev.rollcall.heartbeat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the coalesced {@code last_seen_at} of steady agents in batches: one UPDATE for up to
 * {@value #MAX_BATCH} agents instead of one transaction per agent. At 100,000 agents a steady fleet
 * comes due at about 1,500 agents a second; written one by one that was most of the node's
 * PostgreSQL work, and on a cold start (every snapshot's last_seen_at old) it was a storm that held
 * heartbeats for seconds behind the pool (BENCHMARKS.md, "100,000 agents live").
 *
 * <p>{@code last_seen_at} is bookkeeping, not lifecycle state (liveness is the Redis lease), so the
 * write bumps no version and records no event: it never makes another writer lose a race. It takes
 * only rows nobody else holds ({@code SKIP LOCKED}): a transition under way on the agent is not waited
 * for, and two writers (two event loops, two nodes) batching the same agents cannot deadlock. A skipped
 * or failed row is written at the agent's next due heartbeat. One instance per HTTP verticle instance,
 * confined to its event loop, like {@link LivenessStore}.
 */
final class LastSeenWriter {
  static final int MAX_BATCH = 1_000;
  /** How long a sighting may wait for others: nothing reads last_seen_at at this resolution. */
  static final long LINGER_MILLIS = 250;
  private static final Logger LOG = LoggerFactory.getLogger(LastSeenWriter.class);
  static final String WRITE = "WITH seen AS (SELECT * FROM unnest($1::uuid[], $2::timestamptz[]) AS s(id, at)), "
      + "free AS (SELECT a.id FROM agents a JOIN seen ON seen.id = a.id ORDER BY a.id FOR UPDATE OF a SKIP LOCKED) "
      + "UPDATE agents a SET last_seen_at = seen.at FROM seen, free "
      + "WHERE a.id = free.id AND seen.id = a.id AND (a.last_seen_at IS NULL OR a.last_seen_at < seen.at)";

  private final Vertx vertx;
  private final Pool pool;
  /** The latest sighting per agent not yet sent, in arrival order. */
  private final Map<UUID, Instant> pending = new LinkedHashMap<>();
  private boolean lingering;
  private boolean inFlight;
  private final DistributionSummary batchSizes;
  private final Counter failed;

  LastSeenWriter(Vertx vertx, Pool pool, MeterRegistry meters) {
    this.vertx = vertx;
    this.pool = pool;
    this.batchSizes = DistributionSummary.builder("rollcall.heartbeat.last_seen.batch.size")
        .description("Agents per batched last_seen_at write").register(meters);
    this.failed = Counter.builder("rollcall.heartbeat.last_seen.failed")
        .description("Agents whose batched last_seen_at write failed (written at their next due heartbeat)").register(meters);
  }

  /** Queues the agent's sighting; written within about {@value #LINGER_MILLIS} ms. */
  void record(UUID agentId, Instant seenAt) {
    pending.merge(agentId, seenAt, (a, b) -> a.isAfter(b) ? a : b);
    if (pending.size() >= MAX_BATCH) {
      flush();
    } else {
      flushSoon();
    }
  }

  private void flushSoon() {
    if (!lingering) {
      lingering = true;
      vertx.setTimer(LINGER_MILLIS, id -> {
        lingering = false;
        flush();
      });
    }
  }

  /** Sightings not yet sent (for tests). */
  int pendingCount() {
    return pending.size();
  }

  private void flush() {
    if (pending.isEmpty() || inFlight) {
      return;
    }
    int size = Math.min(pending.size(), MAX_BATCH);
    UUID[] ids = new UUID[size];
    OffsetDateTime[] ats = new OffsetDateTime[size];
    Iterator<Map.Entry<UUID, Instant>> it = pending.entrySet().iterator();
    for (int i = 0; i < size; i++) {
      Map.Entry<UUID, Instant> e = it.next();
      ids[i] = e.getKey();
      ats[i] = OffsetDateTime.ofInstant(e.getValue(), ZoneOffset.UTC);
      it.remove();
    }
    batchSizes.record(size);
    inFlight = true;
    Future<?> written = pool.preparedQuery(WRITE).execute(Tuple.tuple().addArrayOfUUID(ids).addArrayOfOffsetDateTime(ats));
    written.onComplete(ar -> {
      inFlight = false;
      if (ar.failed()) {
        // Not retried here: each agent's next due heartbeat (one period on) writes it again, and a lease
        // in Redis, not this column, says whether the agent is alive.
        failed.increment(size);
        LOG.atWarn().addKeyValue("agents", size).addKeyValue("error", ar.cause().getMessage())
            .log("batched last_seen_at write failed; each agent's next due heartbeat writes it again");
      }
      if (pending.size() >= MAX_BATCH) {
        flush();
      } else if (!pending.isEmpty()) {
        flushSoon();
      }
    });
  }
}
