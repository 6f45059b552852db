package dev.rollcall.heartbeat;

import dev.rollcall.core.persistence.AgentRepository;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
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
  private final Vertx vertx;
  private final AgentRepository agents;
  /** The latest sighting per agent not yet sent, in arrival order. */
  private final Map<UUID, Instant> pending = new LinkedHashMap<>();
  private boolean lingering;
  private boolean inFlight;
  private final DistributionSummary batchSizes;
  private final Counter failed;

  LastSeenWriter(Vertx vertx, AgentRepository agents, MeterRegistry meters) {
    this.vertx = vertx;
    this.agents = agents;
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
    Instant[] ats = new Instant[size];
    Iterator<Map.Entry<UUID, Instant>> it = pending.entrySet().iterator();
    for (int i = 0; i < size; i++) {
      Map.Entry<UUID, Instant> e = it.next();
      ids[i] = e.getKey();
      ats[i] = e.getValue();
      it.remove();
    }
    batchSizes.record(size);
    inFlight = true;
    Future<?> written = agents.recordLastSeen(ids, ats);
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
