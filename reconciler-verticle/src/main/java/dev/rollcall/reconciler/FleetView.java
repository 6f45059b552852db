package dev.rollcall.reconciler;

import dev.rollcall.core.due.DueQueue;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.metrics.Metrics;
import dev.rollcall.core.node.ClusterMembership;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.persistence.AgentRepository;
import dev.rollcall.core.redis.RedisClients;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the reconciler knows about the fleet as a whole, refreshed every {@code fleetSampleInterval}:
 * agents per gateway and status, which gateways went silent together (mass failure is not agent
 * failure), whether every gateway did (the control plane is cut off), and the grace after the control
 * plane's own outage. Also the source of the fleet gauges.
 *
 * <p>The verdict itself (which gateways are silent, which are marked or cleared unreachable, whether
 * the whole fleet is silent) is the pure {@link FleetVerdict}; this class counts, keeps the result and
 * writes the marks ({@code gateways.unreachable_since}, conditional updates in {@link FleetSql}).
 */
final class FleetView {
  private static final Logger LOG = LoggerFactory.getLogger(FleetView.class);
  /** Deleted from Redis by a flush: its absence means the leases (and the due queue) were lost. */
  static final String LIVENESS_MARKER = RedisClients.KEY_PREFIX + "liveness-since";

  private final NodeContext node;
  private final RecoveryGates gates;
  private final int silentPercent;
  private final Map<LifecycleStatus, AtomicLong> perStatus = new EnumMap<>(LifecycleStatus.class);
  private final AtomicLong unreachableGauge = new AtomicLong();
  private final AtomicLong dueDepth = new AtomicLong();
  private final AtomicLong dueLagMillis = new AtomicLong();
  private final io.micrometer.core.instrument.Timer sampleTimer;
  private volatile Map<UUID, Instant> unreachable = Map.of();
  private volatile boolean fleetSilent;
  private volatile Instant lastOutage;
  /** The cluster's members at the last sample (null before the first, or when not clustered). */
  private Set<String> clusterMembers;
  private final Instant startedAt;

  FleetView(NodeContext node, RecoveryGates gates) {
    this.node = node;
    this.gates = gates;
    this.silentPercent = node.config().gatewaySilentSharePercent();
    this.startedAt = node.clock().instant();
    for (LifecycleStatus status : LifecycleStatus.values()) {
      AtomicLong count = new AtomicLong();
      perStatus.put(status, count);
      Gauge.builder("rollcall.agents", count, AtomicLong::get).description("Agents per lifecycle status (fleet sample)")
          .tag("status", status.wireName()).strongReference(true).register(node.meters());
    }
    Gauge.builder("rollcall.gateways.unreachable", unreachableGauge, AtomicLong::get).strongReference(true)
        .description("Gateways marked unreachable because most of their agents went silent together").register(node.meters());
    sampleTimer = io.micrometer.core.instrument.Timer.builder("rollcall.reconcile.fleet_sample")
        .description("One fleet sample (counts per gateway and status: proportional to the fleet, every fleetSampleInterval)")
        .register(node.meters());
    Gauge.builder("rollcall.reconcile.due.depth", dueDepth, AtomicLong::get).strongReference(true)
        .description("Entries in the due queue").register(node.meters());
    Gauge.builder("rollcall.reconcile.due.lag", dueLagMillis, v -> v.get() / 1000.0).baseUnit("seconds").strongReference(true)
        .description("How late the oldest due entry is (now - earliest due time; 0 when nothing is late)").register(node.meters());
  }

  boolean unreachable(UUID gatewayId) {
    return unreachable.containsKey(gatewayId);
  }

  boolean fleetSilent() {
    return fleetSilent;
  }

  /** Liveness is not judged before this: the grace after this node's start or the last outage it saw. */
  Instant judgeFrom() {
    Instant from = startedAt.plus(node.config().outageGrace());
    Instant outage = lastOutage;
    if (outage != null && outage.plus(node.config().outageGrace()).isAfter(from)) {
      from = outage.plus(node.config().outageGrace());
    }
    return from;
  }

  /**
   * A node that left the cluster is the control plane's own outage: until the cluster dropped it, its
   * consumers still got their share of requests, and those failed (a wake, a credential check). Reads
   * the member list the cluster manager keeps locally.
   */
  private void clusterSample() {
    ClusterMembership.View view = ClusterMembership.of(node.vertx());
    if (!view.clustered()) {
      return;
    }
    if (view.lost()) {
      // The cluster member under this node is gone (Hazelcast not running): this node's own outage.
      outageSeen(OUTAGE_CLUSTER, "this node's cluster membership failed: " + view.lostBecause());
      return;
    }
    Set<String> now = Set.copyOf(view.members());
    if (clusterMembers != null && !now.containsAll(clusterMembers)) {
      outageSeen(OUTAGE_CLUSTER, "a control-plane node left the cluster (" + clusterMembers.size() + " -> " + now.size() + " members)");
    }
    clusterMembers = now;
  }

  /** Causes of an outage grace (the metric's tag). */
  static final String OUTAGE_STORE = "store_unavailable";
  static final String OUTAGE_REDIS_DATA_LOST = "redis_data_lost";
  static final String OUTAGE_CLUSTER = "cluster_member_lost";

  /**
   * The control plane itself failed (Redis or PostgreSQL unavailable, Redis data lost, a node lost):
   * grace for everyone.
   */
  void outageSeen(String cause, String what) {
    Instant now = node.clock().instant();
    Metrics.count(node.meters(), "rollcall.reconcile.outage_grace", "Outage graces started, by cause", "cause", cause);
    if (lastOutage == null || lastOutage.plusSeconds(1).isBefore(now)) {
      LOG.atWarn().addKeyValue("event", "reconcile.outage_grace").addKeyValue("cause", what)
          .addKeyValue("grace_ms", node.config().outageGrace().toMillis())
          .log("the control plane's own outage: no agent's liveness is judged until the grace passes");
    }
    lastOutage = now;
  }

  /** One sample: counts, reachability marks, gauges and the liveness marker. */
  Future<Void> sample() {
    Instant now = node.clock().instant();
    clusterSample();
    Future<Void> marker = node.redis().send(Request.cmd(Command.SET).arg(LIVENESS_MARKER).arg(now.toEpochMilli()).arg("NX"))
        .map(reply -> {
          // OK: the marker was missing. The first sample ever writes it too; its start-up grace covers that.
          if (reply != null && "OK".equals(reply.toString()) && now.isAfter(startedAt.plusSeconds(1))) {
            outageSeen(OUTAGE_REDIS_DATA_LOST, "Redis lost its data (liveness marker missing): leases and due queue rebuilt from PostgreSQL");
          }
          return null;
        });
    Future<Void> depth = DueQueue.depth(node.redis()).map(d -> {
      dueDepth.set(d.entries());
      dueLagMillis.set(d.oldestDue() == null ? 0 : Math.max(0, now.toEpochMilli() - d.oldestDue().toEpochMilli()));
      return null;
    });
    Future<Void> counts = node.pool().query(FleetSql.SAMPLE).execute().compose(rows -> {
      FleetVerdict.Tally tally = new FleetVerdict.Tally();
      Map<LifecycleStatus, Long> statuses = new EnumMap<>(LifecycleStatus.class);
      for (Row row : rows) {
        UUID gatewayId = row.getUUID("id");
        tally.gateway(gatewayId, row.getOffsetDateTime("unreachable_since") == null ? null
            : row.getOffsetDateTime("unreachable_since").toInstant());
        String status = row.getString("lifecycle_status");
        if (status == null) {
          continue; // a gateway without agents
        }
        LifecycleStatus s = LifecycleStatus.fromWire(status).orElseThrow();
        long agents = row.getLong("agents");
        statuses.merge(s, agents, Long::sum);
        tally.agents(gatewayId, s, agents, row.getLong("suspect"), row.getLong("registered_since_mark"), row.getLong("lost_since_mark"));
      }
      perStatus.forEach((s, count) -> count.set(statuses.getOrDefault(s, 0L)));
      return apply(FleetVerdict.decide(tally.gateways(), silentPercent, now), now);
    });
    long started = System.nanoTime();
    return Future.all(marker, depth, counts).<Void>mapEmpty()
        .onSuccess(v -> sampleTimer.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS))
        .onFailure(e -> outageSeen(OUTAGE_STORE, "fleet sample failed: " + e.getMessage()));
  }

  /** Keeps the verdict for the passes and writes its marks, one after the other. */
  private Future<Void> apply(FleetVerdict.Verdict verdict, Instant now) {
    if (verdict.fleetSilent() != fleetSilent) {
      LOG.atWarn().addKeyValue("event", verdict.fleetSilent() ? "reconcile.fleet_silent" : "reconcile.fleet_heard")
          .addKeyValue("gateways", verdict.judged())
          .log(verdict.fleetSilent() ? "every gateway went silent at once: the control plane is probably cut off; no offline verdicts"
              : "the fleet is heard again: offline verdicts resume");
    }
    fleetSilent = verdict.fleetSilent();
    Future<Void> writes = Future.succeededFuture();
    for (FleetVerdict.GatewayCounts g : verdict.toMark()) {
      writes = writes.compose(v -> mark(g.gatewayId(), now, g));
    }
    for (FleetVerdict.GatewayCounts g : verdict.toClear()) {
      writes = writes.compose(v -> clear(g.gatewayId(), g));
    }
    unreachable = verdict.unreachable();
    unreachableGauge.set(verdict.unreachable().size());
    return writes;
  }

  private Future<Void> mark(UUID gatewayId, Instant now, FleetVerdict.GatewayCounts g) {
    return node.pool().preparedQuery(FleetSql.MARK_UNREACHABLE)
        .execute(Tuple.of(gatewayId, AgentRepository.utc(now)))
        .map(rows -> {
          if (rows.rowCount() > 0) {
            LOG.atWarn().addKeyValue("event", "gateway.unreachable").addKeyValue("gateway_id", gatewayId)
                .addKeyValue("silent", g.suspect()).addKeyValue("running", g.running())
                .log("most of the gateway's agents went silent together: gateway marked unreachable, its agents are recovered one probe at a time");
          }
          return null;
        });
  }

  private Future<Void> clear(UUID gatewayId, FleetVerdict.GatewayCounts g) {
    return node.pool().preparedQuery(FleetSql.CLEAR_UNREACHABLE)
        .execute(Tuple.of(gatewayId, AgentRepository.utc(g.unreachableSince())))
        .compose(rows -> {
          if (rows.rowCount() == 0) {
            return Future.succeededFuture();
          }
          LOG.atInfo().addKeyValue("event", "gateway.reachable").addKeyValue("gateway_id", gatewayId)
              .addKeyValue("returned", g.returned()).log("the gateway's agents are heard again: gateway reachable");
          // Agents held behind the probe slot are looked at now, not when their deferral runs out.
          return gates.resetProbes(gatewayId).compose(v -> node.pool().preparedQuery(FleetSql.HELD_AGENTS).execute(Tuple.of(gatewayId)))
              .compose(held -> {
                List<UUID> ids = new ArrayList<>();
                held.forEach(row -> ids.add(row.getUUID(0)));
                return DueQueue.scheduleAll(node.redis(), ids, node.clock().instant());
              });
        });
  }
}
