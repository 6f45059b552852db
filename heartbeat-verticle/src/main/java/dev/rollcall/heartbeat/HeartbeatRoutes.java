package dev.rollcall.heartbeat;

import dev.rollcall.core.metrics.Metrics;
import dev.rollcall.core.util.BatchedLookup;
import dev.rollcall.core.util.InFlight;
import dev.rollcall.core.util.LruMap;
import dev.rollcall.core.util.Uuids;
import dev.rollcall.core.auth.CredentialRenewal;
import dev.rollcall.core.auth.CredentialVerifier;
import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.bus.AgentTransitioned;
import dev.rollcall.core.bus.StaleInstances;
import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.http.HttpErrors;
import dev.rollcall.core.http.RequestInputs;
import dev.rollcall.core.http.RouteContributor;
import dev.rollcall.core.lifecycle.LifecycleEventNames;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.LostRaces;
import dev.rollcall.core.persistence.AgentRepository;
import dev.rollcall.core.persistence.GatewayRecord;
import dev.rollcall.core.persistence.TransitionResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/agents/{agentId}/heartbeat}: the hot path. Verified from the local credential
 * cache, rate-limited per credential, liveness stored as a Redis lease by group commit, and the agent
 * record read from a local snapshot and written only when {@link HeartbeatPolicy} says something
 * changed. No event-bus round trip per request. One instance per HTTP verticle instance.
 */
final class HeartbeatRoutes implements RouteContributor {
  private static final Logger LOG = LoggerFactory.getLogger(HeartbeatRoutes.class);
  private static final Duration GATEWAY_CACHE = Duration.ofSeconds(30);
  private static final int MAX_TRACKED = 500_000;
  private static final int READ_BATCH = 500;
  private static final String PATH_PREFIX = "/api/v1/agents/";
  private static final String PATH_SUFFIX = "/heartbeat";
  private static final int DIRECT_PATH_LENGTH = PATH_PREFIX.length() + Uuids.TEXT_LENGTH + PATH_SUFFIX.length();

  private final NodeContext node;
  private final CredentialVerifier verifier;
  private final AgentRepository agents;
  private final LivenessStore liveness;
  private final LastSeenWriter lastSeen;
  private final HeartbeatRateLimiter limiter;
  /** Per agent heard from on this event loop, all it keeps of it: one lookup per steady heartbeat. */
  private final Map<UUID, Tracked> tracked = new LruMap<>(MAX_TRACKED);
  private final Map<UUID, GatewayVersion> gateways = new HashMap<>();
  private final InFlight<UUID, Integer> gatewayLoads;
  /** Per agent, the record write of a heartbeat on this event loop that has not finished yet. */
  private final InFlight<UUID, Applied> writesInFlight;
  /** Per agent, the record read that has not finished yet. */
  private final InFlight<UUID, Snapshot> loadsInFlight;
  /** Record reads, many agents per query under load (a node's cold start meets the whole fleet at once). */
  private final BatchedLookup<UUID, AgentRecord> agentReads;
  private final int bodyLimit;
  private final Counter received;
  private final Counter accepted;
  private final Timer intake;

  HeartbeatRoutes(NodeContext node, CredentialVerifier verifier) {
    this.node = node;
    this.verifier = verifier;
    this.agents = node.agentRepository();
    this.liveness = new LivenessStore(node.vertx(), node.redis(), node.meters());
    this.lastSeen = new LastSeenWriter(node.vertx(), agents, node.meters());
    this.bodyLimit = node.config().bodyLimitBytes();
    this.gatewayLoads = new InFlight<>(node.config().busTimeout());
    this.writesInFlight = new InFlight<>(node.config().busTimeout());
    this.loadsInFlight = new InFlight<>(node.config().busTimeout());
    this.agentReads = new BatchedLookup<>(READ_BATCH, 2, agents::findAllById);
    this.limiter = new HeartbeatRateLimiter(node.config().heartbeatInterval(), 5, 4);
    this.received = Counter.builder("rollcall.heartbeat.received").description("Heartbeats received").register(node.meters());
    this.accepted = Counter.builder("rollcall.heartbeat.accepted").description("Heartbeats accepted").register(node.meters());
    this.intake = Timer.builder("rollcall.heartbeat.intake").description("Heartbeat intake latency, request to answer")
        // A handful of buckets around the goal (p99 < 10 ms) rather than Micrometer's ~70 default ones:
        // recording into them is on every heartbeat.
        .serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(100))
        .register(node.meters());
    // Another writer moved an agent: drop the snapshot so the next heartbeat reads the record again.
    node.vertx().eventBus().<JsonObject>consumer(Addresses.AGENT_TRANSITIONED, msg -> {
      AgentTransitioned fact = AgentTransitioned.fromJson(msg.body());
      Tracked agent = tracked.get(fact.agentId());
      if (agent == null) {
        return;
      }
      if (agent.snapshot != null && agent.snapshot.agent.version() < fact.version()) {
        agent.snapshot = null;
      }
      if (fact.to() == LifecycleStatus.DELETED) {
        // Its lease must not be written after the delete removed it. The entry stays, as a tombstone:
        // a read already under way caches into it, and must find the lease forgotten rather than make a
        // fresh one. Best-effort, like the fact itself; the reconciler's sweep drops leases of agents
        // that no longer exist.
        agent.snapshot = null;
        liveness.forget(agent.lease);
      }
    });
  }

  @Override
  public void mountAgentRoutes(Router router) {
    // What answerDirectly leaves to the router: malformed ids, bodies without a Content-Length or over
    // the limit (413 from the body handler), odd paths. Answered by the same code.
    router.post("/api/v1/agents/:agentId/heartbeat").handler(rc -> {
      UUID agentId;
      try {
        agentId = RequestInputs.uuidParam(rc, "agentId");
      } catch (RuntimeException bad) {
        received.increment();
        reject(rc.response(), ApiError.of(bad));
        return;
      }
      heartbeat(rc.request(), agentId, rc.body().buffer());
    });
  }

  /**
   * Well-formed heartbeats skip the router: an exact path with a canonical id and a Content-Length
   * within the body limit. Routing, the body handler and a routing context cost about as much as the
   * heartbeat itself (BENCHMARKS.md).
   */
  @Override
  public boolean answerDirectly(HttpServerRequest request) {
    // The URI as sent: path() parses it again on every request (it showed in the profile). A heartbeat's
    // URI has no query; one with a query, or in absolute form, takes the router.
    String uri = request.uri();
    if (request.method() != HttpMethod.POST || uri.length() != DIRECT_PATH_LENGTH || !uri.startsWith(PATH_PREFIX)
        || !uri.endsWith(PATH_SUFFIX)) {
      return false;
    }
    UUID agentId = Uuids.parseCanonical(uri, PATH_PREFIX.length());
    String lengthHeader = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    // Only plain framing: HTTP/1.1 or 2, a Content-Length, no Transfer-Encoding (HTTP/1.0 keeps a
    // Content-Length next to chunked framing) and no Expect (100-continue is the body handler's job).
    int length = isDecimal(lengthHeader) ? Integer.parseInt(lengthHeader) : -1;
    if (agentId == null || length < 0 || length > bodyLimit
        || request.version() == HttpVersion.HTTP_1_0 || request.headers().contains(HttpHeaders.TRANSFER_ENCODING)
        || request.headers().contains(HttpHeaders.EXPECT)) {
      return false;
    }
    BodyCollector body = new BodyCollector(request, length);
    request.handler(body);
    request.endHandler(v -> {
      if (!request.response().ended()) {
        heartbeat(request, agentId, body.buffer());
      }
    });
    return true;
  }

  /**
   * A direct heartbeat's body, counted as it arrives: whatever the headers said, no more than the limit
   * is kept. A body that arrives in one chunk, as nearly all do, is taken as it is, without a copy.
   */
  private final class BodyCollector implements Handler<Buffer> {
    private final HttpServerRequest request;
    private final int expected;
    private Buffer body;
    /** Whether {@link #body} is this collector's own buffer rather than a chunk kept as it came. */
    private boolean owned;

    BodyCollector(HttpServerRequest request, int expected) {
      this.request = request;
      this.expected = expected;
    }

    Buffer buffer() {
      return body == null ? Buffer.buffer() : body;
    }

    @Override
    public void handle(Buffer chunk) {
      int kept = body == null ? 0 : body.length();
      if (kept + chunk.length() > bodyLimit) {
        request.handler(null);
        received.increment();
        reject(request.response(), new ApiError(413, "body_too_large", "the request body exceeds " + bodyLimit + " bytes", false));
        request.connection().close();
        return;
      }
      if (body == null && chunk.length() == expected) {
        // Vert.x hands the request's chunks over as heap copies of the connection's buffers (its
        // "safe" buffers): one may be kept as it is.
        body = chunk;
        return;
      }
      if (body == null || !owned) {
        body = Buffer.buffer(Math.max(expected, kept + chunk.length())).appendBuffer(buffer());
        owned = true;
      }
      body.appendBuffer(chunk);
    }
  }

  /** A Content-Length as it must look to be taken here: 1 to 9 ASCII digits. */
  private static boolean isDecimal(String text) {
    if (text == null || text.isEmpty() || text.length() > 9) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  private void heartbeat(HttpServerRequest request, UUID agentId, Buffer body) {
    try {
      take(request, agentId, body);
    } catch (RuntimeException e) {
      answerUnexpected(request, agentId, e);
    }
  }

  /** Outside the router nothing else would answer: a heartbeat is never left hanging. */
  private void answerUnexpected(HttpServerRequest request, UUID agentId, RuntimeException e) {
    LOG.atError().setCause(e).addKeyValue("agent_id", agentId).log("heartbeat failed unexpectedly; answered 500");
    if (!request.response().ended()) {
      reject(request.response(), ApiError.internal());
    }
  }

  private void take(HttpServerRequest request, UUID agentId, Buffer body) {
    long started = System.nanoTime();
    received.increment();
    HeartbeatReport report;
    try {
      report = HeartbeatReport.parse(body);
    } catch (RuntimeException bad) {
      reject(request.response(), ApiError.of(bad));
      return;
    }
    // Steady state, every step below is answered from memory: then() runs it at once instead of
    // allocating a composition per step (this is the hot path; see BENCHMARKS.md).
    Tracked known = tracked.get(agentId);
    Future<CredentialVerifier.VerifiedAgent> verified = verifier.verify(request.getHeader(CredentialVerifier.HEADER), agentId,
        known == null ? null : known.credential);
    // A verification that left the event loop may come back to a map that changed meanwhile.
    boolean verifiedAtOnce = verified.isComplete();
    Future<String> answered = then(verified, credential -> {
      Instant now = node.clock().instant();
      long nowNanos = TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano();
      // Created only once the credential is verified: made-up ids cannot fill the map.
      Tracked tracking = known != null && verifiedAtOnce ? known : tracked(agentId);
      tracking.credential = credential;
      tracking.bucket = limiter.bucketFor(tracking.bucket, credential.credentialId(), nowNanos);
      if (!limiter.tryAcquire(tracking.bucket, nowNanos)) {
        return Future.failedFuture(new ApiError(429, "heartbeat_rate_limited", "heartbeats far faster than "
            + "nextHeartbeatMs; slow down", true).with("retryAfterSeconds", node.config().heartbeatInterval().toSeconds()).exception());
      }
      // A credential newer than the snapshot means the snapshot missed a re-provision (the bus is
      // best-effort): read the record again before judging the epoch.
      Future<Snapshot> current = then(snapshot(tracking, agentId), snapshot -> snapshot.agent.provisionEpoch() < credential.provisionEpoch()
          ? reload(tracking, agentId) : Future.succeededFuture(snapshot));
      // Three attempts: besides another node's heartbeat of the same agent, the reconciler writes the same
      // record (a suspicion and its renewal), and a fleet back from a blip meets both at once.
      // A lost race reads the record afresh and decides again.
      Future<Applied> applied = then(current, snapshot -> LostRaces.retry(3, attempt -> attempt == 1
              ? apply(tracking, snapshot, credential.provisionEpoch(), report, now, true)
              : then(reload(tracking, agentId), fresh -> apply(tracking, fresh, credential.provisionEpoch(), report, now, false)),
          race -> Future.failedFuture(contended())));
      return then(applied, agent -> {
        Future<Void> leased = liveness.record(tracking.lease, now.toEpochMilli());
        Future<JsonObject> successor = CredentialRenewal.successorIfDue(node, credential);
        if (leased.succeeded() && successor.succeeded()) {
          return Future.succeededFuture(answer(agent, report, successor.result()));
        }
        return Future.all(leased, successor).map(all -> answer(agent, report, successor.result()));
      });
    });
    answered.onComplete(ar -> {
      try {
        if (ar.succeeded()) {
          accepted.increment();
          intake.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
          request.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(ar.result());
        } else {
          reject(request.response(), dev.rollcall.core.bus.Failure.toApiError(ar.cause()));
        }
      } catch (RuntimeException e) {
        answerUnexpected(request, agentId, e);
      }
    });
  }

  /** {@code future.compose(next)}, run at once when the future is already complete. */
  private static <T, R> Future<R> then(Future<T> future, Function<T, Future<R>> next) {
    if (!future.isComplete()) {
      return future.compose(next);
    }
    if (future.failed()) {
      return Future.failedFuture(future.cause());
    }
    try {
      return next.apply(future.result());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * Decides and, when something changed, writes. Heartbeats of one agent on this event loop wait for the
   * write under way instead of racing it.
   *
   * @param mayWait whether this heartbeat may wait for another one's write of the agent; false once it
   *     waited, and for a write's own retries, so that a write never waits on a write (no cycles)
   */
  private Future<Applied> apply(Tracked tracking, Snapshot read, long instanceEpoch, HeartbeatReport report, Instant now,
                                boolean mayWait) {
    // The gateway's version first: what follows must run without a pause, or another heartbeat of the
    // agent could write between this one choosing its snapshot and registering its own write.
    return then(gatewayVersion(read.agent.gatewayId(), now), gatewayVersion -> {
      // Another heartbeat of the agent may have written since this one read the record.
      Snapshot cached = tracking.snapshot;
      Snapshot snapshot = cached != null && cached.agent.version() > read.agent.version() ? cached : read;
      AgentRecord agent = snapshot.agent;
      // Judged on every read of the record, a re-read after a lost race included: the race may have been
      // lost to the re-provision that made this instance stale.
      if (agent.provisionEpoch() != instanceEpoch) {
        // Seed 03: an instance of a superseded attempt is alive; the provisioner has it deprovisioned.
        StaleInstances.publish(node.vertx(), agent.id().toString(), instanceEpoch);
        return Future.failedFuture(StaleInstances.mustStop(instanceEpoch, agent.provisionEpoch()));
      }
      if (agent.status() == LifecycleStatus.DELETED) {
        return Future.failedFuture(new ApiError(410, "agent_deleted", "agent " + agent.id() + " was deleted; stop", false).exception());
      }
      HeartbeatPolicy.Decision d = HeartbeatPolicy.decide(agent, report, gatewayVersion, snapshot.lastSeenWritten, now,
          node.config().maxTransition(), node.config().lastSeenWriteEvery());
      if (d.transition() == null) {
        return Future.failedFuture(ApiError.conflict("heartbeat_refused", "a " + report.status().name().toLowerCase()
            + " heartbeat is not accepted while the agent is " + agent.status().wireName(), false).exception());
      }
      if (d.change() == null) {
        if (d.lastSeenDue()) {
          lastSeen.record(agent.id(), now);
          if (tracking.snapshot == snapshot) {
            // Unless the snapshot was dropped or replaced meanwhile (another writer moved the agent):
            // then the next read brings the record, and at worst queues the sighting once more.
            tracking.snapshot = new Snapshot(agent, now);
          }
        }
        return Future.succeededFuture(new Applied(agent, gatewayVersion, d.templateSyncRequired()));
      }
      Future<?> inFlight = writesInFlight.get(agent.id());
      if (inFlight != null && mayWait) {
        // Another heartbeat of this agent is being written on this event loop, from the same snapshot. A
        // fleet back from a blip sends several per agent at once, each clearing the same suspicion;
        // racing them lost twice and answered 503 agent_contended. Decide again from its outcome: mostly
        // nothing is left to write.
        return inFlight.transform(ignored -> snapshot(tracking, agent.id()))
            .compose(fresh -> apply(tracking, fresh, instanceEpoch, report, now, false));
      }
      // A write's own retry, or a heartbeat that has already waited once, finds a write registered (its
      // own outer one, or another's) and writes without registering: nothing is to wait on it.
      return inFlight == null
          ? writesInFlight.start(agent.id(), () -> write(tracking, agent, report, now, d, gatewayVersion))
          : write(tracking, agent, report, now, d, gatewayVersion);
    });
  }

  /** Writes the decided change; a lost race is {@link LostRaces#again}: the caller reads the record again and decides again. */
  private Future<Applied> write(Tracked tracking, AgentRecord agent, HeartbeatReport report, Instant now,
                                HeartbeatPolicy.Decision d, Integer gatewayVersion) {
    JsonObject detail = report.detail() == null ? new JsonObject() : new JsonObject().put("reported", report.detail());
    return agents.inTransaction(tx -> tx.transition(agent, d.trigger(), d.change(), detail)
            .compose(result -> result instanceof TransitionResult.Applied && d.checkedInAfterWake()
                ? agents.recordEventIn(tx.connection(), ((TransitionResult.Applied) result).agent(),
                    LifecycleEventNames.RECONCILE_SKIP_NOT_STUCK, new JsonObject().put("why", "the agent checked in; wake escalation reset"))
                    .map(result)
                : Future.succeededFuture(result)))
        .compose(result -> {
          if (result instanceof TransitionResult.Applied applied) {
            cacheIfNewer(tracking, new Snapshot(applied.agent(), now));
            return Future.succeededFuture(new Applied(applied.agent(), gatewayVersion, d.templateSyncRequired()));
          }
          if (result instanceof TransitionResult.LostRace race) {
            return LostRaces.again(race);
          }
          if (result instanceof TransitionResult.NotFound) {
            tracking.snapshot = null;
            return Future.failedFuture(ApiError.notFound("agent_not_found", "agent " + agent.id() + " does not exist").exception());
          }
          return Future.failedFuture(contended());
        });
  }

  private static Throwable contended() {
    return ApiError.unavailable("agent_contended", "the agent's record is changing; retry").exception();
  }

  /**
   * The answer, written out by hand: its fields are ids, status names and numbers that need no escaping,
   * and this runs on every heartbeat. The rare nested parts are encoded by Vert.x.
   */
  private String answer(Applied applied, HeartbeatReport report, JsonObject successor) {
    long interval = node.config().heartbeatInterval().toMillis();
    // ±10 % jitter so that a gateway restart does not synchronise its agents into a thundering herd.
    long next = interval + ThreadLocalRandom.current().nextLong(-interval / 10, interval / 10 + 1);
    StringBuilder json = new StringBuilder(160)
        .append("{\"agentId\":\"").append(applied.agent.id())
        .append("\",\"lifecycleStatus\":\"").append(applied.agent.status().wireName())
        .append("\",\"provisionEpoch\":").append(applied.agent.provisionEpoch())
        .append(",\"nextHeartbeatMs\":").append(next);
    if (applied.templateSyncRequired) {
      json.append(",\"templateSync\":").append(new JsonObject().put("required", true)
          .put("templateVersion", applied.gatewayVersion).put("reported", report.templateVersion()).encode());
    }
    if (successor != null) {
      json.append(",\"successor\":").append(successor.encode());
    }
    return json.append('}').toString();
  }

  /** The agent's record: its entry's snapshot, else read (heartbeats that miss together share one read). */
  private Future<Snapshot> snapshot(Tracked tracking, UUID agentId) {
    Snapshot cached = tracking.snapshot;
    return cached != null ? Future.succeededFuture(cached) : loadsInFlight.join(agentId, () -> read(tracking, agentId));
  }

  /**
   * Reads the record afresh, never joining a read already under way: that one may have started before
   * the write this caller learnt of (a lost race, a newer credential).
   */
  private Future<Snapshot> reload(Tracked tracking, UUID agentId) {
    tracking.snapshot = null;
    return loadsInFlight.start(agentId, () -> read(tracking, agentId));
  }

  private Future<Snapshot> read(Tracked tracking, UUID agentId) {
    return agentReads.get(agentId).map(agent -> {
      if (agent == null) {
        throw ApiError.notFound("agent_not_found", "agent " + agentId + " does not exist").exception();
      }
      Snapshot s = new Snapshot(agent, agent.lastSeenAt());
      cacheIfNewer(tracking, s);
      return s;
    });
  }

  /** Caches a record unless the entry already holds a newer one (reads and writes finish in any order). */
  private static void cacheIfNewer(Tracked tracking, Snapshot s) {
    if (tracking.snapshot == null || tracking.snapshot.agent.version() <= s.agent.version()) {
      tracking.snapshot = s;
    }
  }

  /** The agent's entry, created on its first verified heartbeat here. */
  private Tracked tracked(UUID agentId) {
    Tracked agent = tracked.get(agentId);
    if (agent == null) {
      agent = new Tracked(agentId);
      tracked.put(agentId, agent);
    }
    return agent;
  }

  /**
   * The template version the agent's gateway should run, from a cache refreshed every
   * {@code GATEWAY_CACHE}. An expired entry is still answered while one read refreshes it: when the
   * cache expired under load, every heartbeat of the window used to wait for its own read.
   */
  private Future<Integer> gatewayVersion(UUID gatewayId, Instant now) {
    GatewayVersion cached = gateways.get(gatewayId);
    if (cached != null && cached.freshUntilMillis > now.toEpochMilli()) {
      return Future.succeededFuture(cached.version);
    }
    boolean refreshing = gatewayLoads.get(gatewayId) != null;
    Future<Integer> loading = gatewayLoads.join(gatewayId, () -> node.gatewayRepository().find(gatewayId).map(found -> {
      Integer version = found.map(GatewayRecord::templateVersion).orElse(null);
      gateways.put(gatewayId, new GatewayVersion(version, now.toEpochMilli() + GATEWAY_CACHE.toMillis()));
      return version;
    }));
    if (cached == null) {
      return loading;
    }
    if (!refreshing) {
      loading.onFailure(e -> LOG.atWarn().addKeyValue("gateway_id", gatewayId).addKeyValue("error", e.getMessage())
          .log("gateway template version not refreshed; the cached one is used until the next try"));
    }
    return Future.succeededFuture(cached.version);
  }

  private void reject(HttpServerResponse response, ApiError error) {
    Metrics.count(node.meters(), "rollcall.heartbeat.rejected", "Heartbeats refused, by reason", "reason", error.error());
    HttpErrors.respond(response, error);
  }

  private record Snapshot(AgentRecord agent, Instant lastSeenWritten) {
  }

  /** What this event loop keeps of one agent. */
  private static final class Tracked {
    final LivenessStore.Lease lease;
    /** The record as last read or written here; null until read, or once another writer moved it. */
    Snapshot snapshot;
    /** The rate bucket of the credential it last heartbeated with. */
    HeartbeatRateLimiter.Bucket bucket;
    /** The credential it last heartbeated with, as verified: checked again on every heartbeat. */
    CredentialVerifier.VerifiedAgent credential;

    Tracked(UUID agentId) {
      this.lease = new LivenessStore.Lease(agentId);
    }
  }

  private record GatewayVersion(Integer version, long freshUntilMillis) {
  }

  private record Applied(AgentRecord agent, Integer gatewayVersion, boolean templateSyncRequired) {
  }
}
