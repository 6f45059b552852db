package dev.rollcall.app;

import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.FastSettings;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.due.DueQueue;
import dev.rollcall.core.liveness.Leases;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.reconciler.ReconcilerVerticle;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code rollcall bench-reconciler}: what a reconcile tick costs, and whether the due queue keeps up.
 *
 * <ol>
 *   <li>Fleet of {@code --small} agents (records in PostgreSQL, fresh leases in Redis): the tick with
 *       nothing due and with {@code --due} items due (the baseline of this run).</li>
 *   <li>The fleet grows to {@code --agents}: the same two ticks. A tick whose cost follows the items
 *       due, not the fleet, measures the same in both.</li>
 *   <li>Redis memory per tracked agent (its lease; and a due entry, for agents that have one).</li>
 *   <li>A steady {@code --rate} due items per second for {@code --seconds}: the due queue's lag
 *       (now − earliest due entry), sampled every 100 ms.</li>
 * </ol>
 * The due agents are ready agents with live leases (a pass reads them, decides "not stuck" and drops the
 * entry): the queue machinery and the inputs' loading, not the cost of any particular rescue. Runs on
 * the main thread; blocking waits are fine here, never on an event loop.
 */
final class ReconcilerBench {
  private static final Pattern USED_MEMORY = Pattern.compile("used_memory:(\\d+)");

  private final int agents;
  private final int small;
  private final int due;
  private final int rate;
  private final int seconds;
  private final int rounds;
  private final PrintWriter out;
  private final ConcurrentLinkedQueue<long[]> ticks = new ConcurrentLinkedQueue<>();

  ReconcilerBench(int agents, int small, int due, int rate, int seconds, int rounds, PrintWriter out) {
    this.agents = agents;
    this.small = small;
    this.due = due;
    this.rate = rate;
    this.seconds = seconds;
    this.rounds = rounds;
    this.out = out;
  }

  int run(Map<String, String> env) throws Exception {
    // Leases must stay live through the run (no agent here heartbeats), and the sweep must not run in
    // the middle of a measurement: both are measured elsewhere, this is the due queue. Not the fast
    // profile: the tick and the lag are measured at the production reconcile interval (BENCHMARKS.md).
    Map<Setting, String> settings = FastSettings.heldLiveness();
    settings.put(Setting.HTTP_HOST, "127.0.0.1");
    settings.put(Setting.HTTP_PORT, "0");
    settings.put(Setting.PG_POOL_SIZE, "8");
    RollcallConfig config = RollcallConfig.load(env, java.util.Optional.empty()).with(settings);
    try (Node node = Node.start(config, Node.Mode.DEV, List.of())) {
      NodeContext ctx = node.context();
      UUID gateway = UUID.randomUUID();
      await(ctx.pool().preparedQuery("INSERT INTO gateways (id, name, base_url, created_at, updated_at) "
          + "VALUES ($1, $2, 'http://127.0.0.1:9', now(), now())").execute(Tuple.of(gateway, "bench-" + gateway)));
      List<UUID> fleet = new ArrayList<>(addAgents(ctx, gateway, small, 0));
      long memoryBefore = usedMemory(ctx);
      refreshLeases(ctx, fleet);
      await(node.vertx().deployVerticle(new ReconcilerVerticle(ctx, (items, nanos) -> ticks.add(new long[] {items, nanos}))));
      TimeUnit.SECONDS.sleep(2); // start-up sample and sweep

      out.printf("%nreconciler benchmark: tick = lapse scan + claims + passes; medians of %d rounds%n", rounds);
      out.printf("%-28s %12s %12s%n", "fleet", "idle tick", due + " due tick");
      double[] sample0 = sampleTotals(ctx);
      double[] smallTicks = ticks(ctx, fleet);
      double[] sample1 = sampleTotals(ctx);
      out.printf("%-28s %9.2f ms %9.2f ms%n", String.format("%,d agents", fleet.size()), smallTicks[0], smallTicks[1]);
      out.flush();

      long memorySmall = usedMemory(ctx) - memoryBefore;
      List<UUID> more = addAgents(ctx, gateway, agents - small, small);
      refreshLeases(ctx, more);
      fleet.addAll(more);
      double[] sample2 = sampleTotals(ctx);
      double[] bigTicks = ticks(ctx, fleet);
      double[] sample3 = sampleTotals(ctx);
      out.printf("%-28s %9.2f ms %9.2f ms%n", String.format("%,d agents", fleet.size()), bigTicks[0], bigTicks[1]);
      // Not part of a tick: the fleet sample (every fleetSampleInterval) counts agents per gateway and status.
      out.printf("fleet sample (not a tick; every %s): mean %.1f ms at %,d agents, %.1f ms at %,d agents%n",
          dev.rollcall.core.config.Durations.format(ctx.config().fleetSampleInterval()),
          (sample1[1] - sample0[1]) / Math.max(1, sample1[0] - sample0[0]), small,
          (sample3[1] - sample2[1]) / Math.max(1, sample3[0] - sample2[0]), fleet.size());

      long leasesMemory = usedMemory(ctx) - memoryBefore;
      long beforeDue = usedMemory(ctx);
      await(DueQueue.scheduleAll(ctx.redis(), fleet.subList(0, Math.min(fleet.size(), 100_000)), Instant.now().plusSeconds(86_400)));
      long dueMemory = usedMemory(ctx) - beforeDue;
      await(ctx.redis().send(Request.cmd(Command.DEL).arg(DueQueue.KEY)));
      out.printf("%nRedis memory per tracked agent: lease %.0f B (%,d agents: %.1f MB; the first %,d: %.0f B each); "
              + "due entry %.0f B%n", leasesMemory / (double) fleet.size(), fleet.size(), leasesMemory / 1e6, small,
          memorySmall / (double) small, dueMemory / (double) Math.min(fleet.size(), 100_000));

      steadyLoad(node, ctx, fleet);
    }
    return 0;
  }

  /** Median idle tick and median tick with {@code due} items due, in ms. */
  private double[] ticks(NodeContext ctx, List<UUID> fleet) throws Exception {
    ticks.clear();
    TimeUnit.SECONDS.sleep(5);
    List<Double> idle = new ArrayList<>();
    ticks.forEach(t -> {
      if (t[0] == 0) {
        idle.add(t[1] / 1e6);
      }
    });
    List<Double> busy = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      List<UUID> pick = new ArrayList<>(fleet);
      Collections.shuffle(pick);
      ticks.clear();
      await(DueQueue.scheduleAll(ctx.redis(), pick.subList(0, due), Instant.now()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (await(DueQueue.depth(ctx.redis())).entries() > 0 && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(20);
      }
      TimeUnit.MILLISECONDS.sleep(200);
      // The tick(s) that took the batch: usually one (a full batch is followed at once by the next).
      long items = 0;
      long nanos = 0;
      for (long[] t : ticks) {
        if (t[0] > 0) {
          items += t[0];
          nanos += t[1];
        }
      }
      if (items == due) {
        busy.add(nanos / 1e6);
      }
    }
    return new double[] {median(idle), median(busy)};
  }

  /** {@code rate} items/s scheduled due-now for {@code seconds}; the queue's lag sampled every 100 ms. */
  private void steadyLoad(Node node, NodeContext ctx, List<UUID> fleet) throws Exception {
    int perTick = Math.max(1, rate / 20);
    AtomicInteger next = new AtomicInteger();
    AtomicLong scheduled = new AtomicLong();
    long producer = node.vertx().setPeriodic(50, id -> {
      List<UUID> batch = new ArrayList<>(perTick);
      for (int i = 0; i < perTick; i++) {
        batch.add(fleet.get(Math.floorMod(next.getAndIncrement(), fleet.size())));
      }
      DueQueue.scheduleAll(ctx.redis(), batch, Instant.now()).onSuccess(v -> scheduled.addAndGet(perTick));
    });
    ticks.clear();
    List<Double> lag = new ArrayList<>();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      TimeUnit.MILLISECONDS.sleep(100);
      DueQueue.Depth d = await(DueQueue.depth(ctx.redis()));
      lag.add(d.oldestDue() == null ? 0 : Math.max(0, System.currentTimeMillis() - d.oldestDue().toEpochMilli()) / 1000.0);
    }
    node.vertx().cancelTimer(producer);
    long handled = ticks.stream().mapToLong(t -> t[0]).sum();
    Collections.sort(lag);
    out.printf("%nsteady %,d due items/s for %d s: scheduled %,d, handled %,d (%.0f/s); due-queue lag median %.3f s, "
            + "p99 %.3f s, max %.3f s%n", rate, seconds, scheduled.get(), handled, handled / (double) seconds,
        lag.get(lag.size() / 2), lag.get((int) Math.min(lag.size() - 1, Math.floor(lag.size() * 0.99))), lag.get(lag.size() - 1));
    out.flush();
  }

  private static List<UUID> addAgents(NodeContext ctx, UUID gateway, int count, int offset) throws Exception {
    List<UUID> ids = new ArrayList<>(count);
    for (Row row : await(ctx.pool().preparedQuery("INSERT INTO agents (id, gateway_id, name, lifecycle_status, status_changed_at, "
            + "version, provision_epoch, last_seen_at, registered_at, created_at, updated_at) "
            + "SELECT gen_random_uuid(), $1, 'bench-' || g, 'ready', now(), 0, 1, now(), now(), now(), now() "
            + "FROM generate_series($2::int, $3::int) g RETURNING id")
        .execute(Tuple.of(gateway, offset + 1, offset + count)))) {
      ids.add(row.getUUID(0));
    }
    // A fleet that grew over months has table statistics; one bulk insert does not, and without them
    // the planner reads every row for a batch lookup by id. Autovacuum would do this in a while.
    await(ctx.pool().query("ANALYZE agents").execute());
    return ids;
  }

  /** Live leases for every agent, written as the heartbeat intake does: one ZADD GT per batch. */
  private static void refreshLeases(NodeContext ctx, List<UUID> ids) throws Exception {
    long now = System.currentTimeMillis();
    for (int from = 0; from < ids.size(); from += 5_000) {
      Request zadd = Request.cmd(Command.ZADD).arg(Leases.KEY).arg("GT");
      for (UUID id : ids.subList(from, Math.min(ids.size(), from + 5_000))) {
        zadd.arg(now).arg(id.toString());
      }
      await(ctx.redis().send(zadd));
    }
  }

  /** The fleet-sample timer's count and total time (ms) so far. */
  private static double[] sampleTotals(NodeContext ctx) {
    io.micrometer.core.instrument.Timer t = ctx.meters().find("rollcall.reconcile.fleet_sample").timer();
    return t == null ? new double[] {0, 0} : new double[] {t.count(), t.totalTime(TimeUnit.MILLISECONDS)};
  }

  private static long usedMemory(NodeContext ctx) throws Exception {
    Matcher m = USED_MEMORY.matcher(await(ctx.redis().send(Request.cmd(Command.INFO).arg("memory"))).toString());
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }
}
