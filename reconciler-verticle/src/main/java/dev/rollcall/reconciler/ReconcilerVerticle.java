package dev.rollcall.reconciler;

import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.bus.AgentTransitioned;
import dev.rollcall.core.due.DueQueue;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.liveness.Leases;
import dev.rollcall.core.util.Drain;
import dev.rollcall.core.util.OnContext;
import dev.rollcall.core.util.OneAtATime;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.TaskRepository;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconciler: makes every agent converge to ready, or offline with a reason. Any number of nodes
 * may run it at once; the due queue's claims ({@link DueQueue}) give each due agent to one of them at a
 * time, and every action is a conditional update or a single-flight command.
 *
 * <p>Four loops, each cheap and each a backstop for the others:
 * <ul>
 *   <li><b>tick</b> ({@code reconcileInterval}): finds leases that lapsed since the last tick (a range
 *       query from a watermark, so each lapse is seen once) and queues those agents; then claims a batch
 *       of due entries and runs {@link ReconcilePass} on it. A full batch is followed at once by the next.
 *       Its cost grows with what is due, never with the fleet.</li>
 *   <li><b>transition facts</b>: an agent that moved into a status the reconciler watches is queued at
 *       once (best-effort: the sweep covers a lost fact).</li>
 *   <li><b>fleet sample</b> ({@code fleetSampleInterval}): {@link FleetView}.</li>
 *   <li><b>anti-entropy sweep</b> ({@code sweepInterval}): pages through every agent in PostgreSQL and
 *       queues the ones that need a look but have no due entry, so a Redis that lost the queue (or the
 *       leases) loses nothing for good.</li>
 * </ul>
 */
public final class ReconcilerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ReconcilerVerticle.class);
  private static final int SWEEP_PAGE = 500;
  private static final int LAPSE_SCAN_LIMIT = 5_000;

  private final NodeContext node;
  private final TickObserver ticks;
  private Timer idleTicks;
  private Timer busyTicks;
  private FleetView fleet;
  private ReconcilePass pass;
  /** The tick, sweep and fleet sample under way: what {@link #stop()} waits for. */
  private final Drain underWay = new Drain();
  private final OneAtATime ticking = new OneAtATime(underWay, this::runTick);
  private final OneAtATime sweeping = new OneAtATime(underWay, this::runSweep);
  /** Leases last seen at or before this were already queued by this node's lapse scan. */
  private long lapseWatermark = 0;

  public ReconcilerVerticle(NodeContext node) {
    this(node, (items, nanos) -> { });
  }

  /** @param ticks told of every completed tick (the benchmark measures ticks with it) */
  public ReconcilerVerticle(NodeContext node, TickObserver ticks) {
    this.node = node;
    this.ticks = ticks;
  }

  /** Observes completed ticks: how many due items it handled and how long it took. */
  @FunctionalInterface
  public interface TickObserver {
    void tick(int items, long nanos);
  }

  @Override
  public Future<?> start() {
    RecoveryGates gates = new RecoveryGates(node.redis(), node.config().reprovisionsPerMinute(), node.config().reprovisionBurst(),
        node.config().checkinDeadline().multipliedBy(node.config().maxWakeAttempts()), node.config().recoveryProbeMax());
    idleTicks = tickTimer("idle");
    busyTicks = tickTimer("busy");
    fleet = new FleetView(node, gates);
    pass = new ReconcilePass(node, new TaskRepository(node.pool(), node.clock(), node.agentRepository()), fleet, gates);
    vertx.eventBus().<JsonObject>consumer(Addresses.AGENT_TRANSITIONED, msg -> onTransitioned(AgentTransitioned.fromJson(msg.body())));
    vertx.setPeriodic(node.config().reconcileInterval().toMillis(), id -> tick());
    vertx.setPeriodic(node.config().fleetSampleInterval().toMillis(), id -> sample());
    vertx.setPeriodic(node.config().sweepInterval().toMillis(), id -> sweep());
    LOG.atInfo().addKeyValue("event", "reconciler.started").addKeyValue("grace_until", fleet.judgeFrom())
        .log("reconciler started; liveness is judged after the start-up grace");
    // The first sample and sweep at once: a restarted control plane rebuilds its queue before judging anyone.
    return sample().recover(e -> Future.succeededFuture()).onComplete(v -> sweep());
  }

  /**
   * No tick, sweep or sample starts after this; completes when the ones under way end, so the node closes
   * the pool and Redis after the reconciler's last call. Claims cut short come back after their visibility.
   */
  @Override
  public Future<?> stop() {
    return underWay.close();
  }

  private Future<?> sample() {
    return underWay.closed() ? Future.succeededFuture() : underWay.track(fleet.sample());
  }

  private Timer tickTimer(String work) {
    return Timer.builder("rollcall.reconcile.tick").description("One reconcile tick: lapse scan, claims and passes")
        .tag("work", work).publishPercentiles(0.5, 0.99).register(node.meters());
  }

  /** The periodic tick: lapse scan, then claimed batches until one comes back short; none while one runs. */
  void tick() {
    ticking.runIfIdle();
  }

  /** The loops a test can drive ({@link #runNow}). */
  enum Loop { TICK, SWEEP }

  /**
   * A tick or sweep that starts now, or right after the one under way, from any thread; completes when
   * it has finished. For tests, which move the clock past a deadline and then drive the loop once to
   * prove what it does, or does not do, instead of waiting for the periodic timer (which keeps running).
   */
  Future<Void> runNow(Loop loop) {
    return OnContext.run(context, (loop == Loop.TICK ? ticking : sweeping)::runNext);
  }

  private Future<?> runTick() {
    long started = System.nanoTime();
    return scanLapsedLeases()
        .compose(v -> drain(8, 0))
        .andThen(done -> {
          if (done.succeeded()) {
            long nanos = System.nanoTime() - started;
            ticks.tick(done.result(), nanos);
            (done.result() == 0 ? idleTicks : busyTicks).record(nanos, TimeUnit.NANOSECONDS);
          }
          if (done.failed()) {
            fleet.outageSeen(FleetView.OUTAGE_STORE, "reconcile tick failed: " + done.cause().getMessage());
          }
        });
  }

  /** Claims and runs batches until one comes back short (at most {@code batchesLeft}); completes with the items handled. */
  private Future<Integer> drain(int batchesLeft, int handled) {
    int batch = node.config().reconcileBatch();
    return DueQueue.claim(node.redis(), node.clock().instant(), node.config().claimVisibility(), batch)
        .compose(claims -> pass.run(claims).map(claims.size()))
        .compose(claimed -> claimed == batch && batchesLeft > 1 ? drain(batchesLeft - 1, handled + claimed)
            : Future.succeededFuture(handled + claimed));
  }

  /** Queues agents whose lease lapsed since the last scan (each lapse once per node). */
  private Future<Void> scanLapsedLeases() {
    long lapsedBefore = node.clock().millis() - node.config().leaseTtl().toMillis();
    if (lapsedBefore < lapseWatermark) {
      return Future.succeededFuture();
    }
    return Leases.seenBetween(node.redis(), lapseWatermark, lapsedBefore, LAPSE_SCAN_LIMIT).compose(lapsed -> {
      // A full page moves the watermark only to its last lease (ties there are queued twice, harmlessly);
      // a page of one single millisecond moves past it (the sweep covers what that skips).
      long last = lapsed.isEmpty() ? lapsedBefore : lapsed.get(lapsed.size() - 1).lastSeenMs();
      long next = lapsed.size() < LAPSE_SCAN_LIMIT ? lapsedBefore + 1 : last > lapseWatermark ? last : last + 1;
      List<UUID> ids = lapsed.stream().map(Leases.Lease::agentId).toList();
      // The watermark moves only once the agents are queued: a failed write is scanned again next tick.
      return DueQueue.scheduleAll(node.redis(), ids, node.clock().instant()).onSuccess(v -> lapseWatermark = next);
    });
  }

  private void onTransitioned(AgentTransitioned fact) {
    LifecycleStatus to = fact.to();
    if (to.transitional() || to == LifecycleStatus.OFFLINE) {
      DueQueue.schedule(node.redis(), fact.agentId(), node.clock().instant())
          .onFailure(e -> LOG.atDebug().addKeyValue("agent_id", fact.agentId()).log("not queued; the sweep will find it"));
    }
  }

  /** The periodic anti-entropy sweep: every agent that needs a look and has no due entry is queued; none while one runs. */
  void sweep() {
    sweeping.runIfIdle();
  }

  private Future<?> runSweep() {
    long started = System.nanoTime();
    return sweepFrom(null, 0).andThen(done -> {
      if (done.succeeded()) {
        LOG.atInfo().addKeyValue("event", "reconcile.sweep").addKeyValue("queued", done.result())
            .addKeyValue("ms", Duration.ofNanos(System.nanoTime() - started).toMillis())
            .log("anti-entropy sweep done");
      } else {
        fleet.outageSeen(FleetView.OUTAGE_STORE, "anti-entropy sweep failed: " + done.cause().getMessage());
      }
    });
  }

  private Future<Integer> sweepFrom(UUID after, int queuedSoFar) {
    return node.agentRepository().list(null, null, after, SWEEP_PAGE).compose(page -> {
      if (page.isEmpty()) {
        return Future.succeededFuture(queuedSoFar);
      }
      List<UUID> ids = page.stream().map(AgentRecord::id).toList();
      return Future.all(DueQueue.queued(node.redis(), ids), Leases.lastSeenAll(node.redis(), ids)).compose(found -> {
        List<Boolean> queued = found.resultAt(0);
        List<Long> leases = found.resultAt(1);
        Instant now = node.clock().instant();
        long lapsedBefore = now.toEpochMilli() - node.config().leaseTtl().toMillis();
        List<UUID> missing = new ArrayList<>();
        for (int i = 0; i < page.size(); i++) {
          if (!queued.get(i) && needsLook(page.get(i), leases.get(i), lapsedBefore)) {
            missing.add(page.get(i).id());
          }
        }
        UUID last = page.get(page.size() - 1).id();
        return DueQueue.scheduleAll(node.redis(), missing, now)
            .compose(v -> page.size() < SWEEP_PAGE ? Future.succeededFuture(queuedSoFar + missing.size())
                : sweepFrom(last, queuedSoFar + missing.size()));
      });
    });
  }

  /** Whether an agent without a due entry should have one. */
  static boolean needsLook(AgentRecord agent, Long leaseMs, long lapsedBeforeMs) {
    return switch (agent.status()) {
      case DELETED -> false;
      case OFFLINE -> agent.recoveryAt() != null;
      case PROVISIONING, WAKING, STARTING, BUSY -> true;
      case READY, DEGRADED -> leaseMs == null || leaseMs <= lapsedBeforeMs || agent.suspectSince() != null || agent.needsRebootstrap();
    };
  }
}
