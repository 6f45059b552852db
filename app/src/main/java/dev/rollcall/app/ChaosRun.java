package dev.rollcall.app;

import dev.rollcall.core.config.Durations;
import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.FastSettings;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.embedded.EmbeddedServers;
import dev.rollcall.core.node.RollcallModule;
import dev.rollcall.gatewaysim.FaultPlan;
import dev.rollcall.gatewaysim.FaultProfile;
import dev.rollcall.gatewaysim.GatewaySimModule;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code rollcall chaos}: the control plane (embedded servers unless configured) and the gateway
 * simulator in one JVM; the fleet is created through the operator API, tasks are driven, faults play
 * out, and a report says whether every agent converged and every invariant held. Runs on the calling
 * thread (blocking waits are fine here, never on an event loop).
 */
final class ChaosRun {
  /**
   * Settings shortened for a run, unless the caller gives its own: {@link FastSettings#profile()} as it
   * is (the profile is these timings; the bounds in BENCHMARKS.md follow from them).
   */
  static final Map<Setting, String> SHORT_TIMEOUTS = FastSettings.profileWith(Map.of());
  /** Fault assignments per {@code PUT /sim/faults}: about 30 bytes each, well inside the simulator's 64 KiB limit. */
  static final int FAULT_PAGE = 1_000;
  /** Violating agents whose whole story the report tells, per invariant. */
  static final int EXPLAINED_PER_INVARIANT = 5;

  /**
   * @param cluster where the control plane runs: one JVM ({@link ClusterPlan#ONE_JVM}) or separate
   *     clustered processes, with the node losses to play
   */
  record Options(int agents, int gateways, Map<FaultProfile, Double> faults, Duration duration, long seed, Path report,
                 Map<Setting, String> settings, ClusterPlan cluster) {
    Options(int agents, int gateways, Map<FaultProfile, Double> faults, Duration duration, long seed, Path report,
            Map<Setting, String> settings) {
      this(agents, gateways, faults, duration, seed, report, settings, ClusterPlan.ONE_JVM);
    }

    /** The same run with another seed (a sweep), reported elsewhere. */
    Options withSeed(long seed, Path report) {
      return new Options(agents, gateways, faults, duration, seed, report, settings, cluster);
    }
  }

  /**
   * What a scenario plays against: the control plane in this JVM, or {@link ChaosCluster}'s processes.
   * The scenario only needs the operator API, the simulator, the database (for the report) and the
   * machine's scheduling lag.
   */
  interface Stack {
    RollcallConfig config();

    /** The operator API's base URL. */
    String api();

    String simUrl();

    io.vertx.sqlclient.Pool pool();

    /**
     * The event-loop lag probes the run reads: the node's in one JVM; with separate processes, the driver's
     * own loops (the machine delays the nodes' alike; each node's own is in the report's figures).
     */
    SchedulingLag lag();

    /** Starts playing the node events, timed from now (the end of fleet creation); nothing for one JVM. */
    default void startNodeEvents() {
    }

    /** Waits for the node events still under way (a restart): they must be over before the fleet settles. */
    default void awaitNodeEvents() {
    }

    /**
     * When each node was lost (killed, or stopped for a rolling restart), in order: the node-loss
     * invariants are judged from the first, and a crash near one is detected under its outage grace.
     */
    default List<Instant> nodeLosses() {
      return List.of();
    }

    /**
     * What a lost node may add to an agent's recovery: the claims its reconciler held come back only after
     * the claim visibility, and the others notice the loss only after the membership timeout.
     */
    default Duration nodeLossSlack() {
      return Duration.ZERO;
    }

    /**
     * Per node: what it ran and did, its processes, and the node events with how long the cluster took to
     * absorb each; null for one JVM.
     */
    default JsonObject nodesReport() {
      return null;
    }
  }

  /** One JVM: every control-plane module and the simulator in a {@link Node}. */
  private record OneJvm(Node node, GatewaySimModule sim) implements Stack {
    @Override
    public RollcallConfig config() {
      // The node's own config: dev generates the admin token at start.
      return node.context().config();
    }

    @Override
    public String api() {
      return node.listeners().get(0).url();
    }

    @Override
    public String simUrl() {
      return sim.url();
    }

    @Override
    public io.vertx.sqlclient.Pool pool() {
      return node.context().pool();
    }

    @Override
    public SchedulingLag lag() {
      return node.schedulingLag();
    }
  }

  private final Options options;
  private final PrintWriter out;

  ChaosRun(Options options, PrintWriter out) {
    this.options = options;
    this.out = out;
  }

  Options options() {
    return options;
  }

  /**
   * The simulated fleet's heartbeats per second, at most: beyond {@code HEARTBEAT_BUDGET × 500 ms}
   * agents, the run's heartbeat interval (and the windows derived from it) grows with the fleet.
   * A 2-core machine carries the control plane and the simulator's HTTP clients at about this rate
   * with room for the faults' bursts; at 2,000 agents and 500 ms (4,000 a second) both were saturated,
   * heartbeats came late, healthy agents lapsed by the hundred and whole gateways were judged silent.
   * Real fleets heartbeat every 10 s (the default): 10,000 agents are 1,000 a second.
   */
  static final int HEARTBEAT_BUDGET = 1_000;

  /**
   * The run's settings for a fleet of {@code agents}: {@link #SHORT_TIMEOUTS}, with the heartbeat
   * interval stretched to keep the fleet within {@link #HEARTBEAT_BUDGET} and the suspicion window and
   * fleet sample following it (the suspicion window must cover 1.1 heartbeat intervals and two samples).
   */
  static Map<Setting, String> timeoutsFor(int agents) {
    Map<Setting, String> s = new EnumMap<>(SHORT_TIMEOUTS);
    long heartbeatMs = Math.max(500, (long) Math.ceil(agents * 1000.0 / HEARTBEAT_BUDGET / 100) * 100);
    if (heartbeatMs > 500) {
      long sampleMs = Math.max(200, Math.min(1_000, agents / 10L));
      s.put(Setting.HEARTBEAT_INTERVAL, heartbeatMs + "ms");
      s.put(Setting.FLEET_SAMPLE_INTERVAL, sampleMs + "ms");
      s.put(Setting.SUSPICION_WINDOW, Math.max(2_000, heartbeatMs * 3 / 2) + "ms");
    }
    return Collections.unmodifiableMap(s);
  }

  /** How long the gateway-outage gateways stay dark: long enough for their agents to be judged offline. */
  static Duration outageFor(Duration runFor, RollcallConfig config) {
    Duration judged = config.leaseTtl().plus(config.suspicionWindow()).plus(config.fleetSampleInterval().multipliedBy(2))
        .plusSeconds(2);
    Duration quarter = runFor.dividedBy(4);
    return quarter.compareTo(judged) >= 0 ? quarter : judged;
  }

  /** Runs the scenario; returns the report (also written to the report file when one is given). */
  JsonObject run(Map<String, String> env) throws Exception {
    Map<Setting, String> settings = new EnumMap<>(timeoutsFor(options.agents()));
    settings.putAll(options.settings());
    settings.put(Setting.HTTP_HOST, "127.0.0.1");
    settings.put(Setting.HTTP_PORT, String.valueOf(EmbeddedServers.freePort()));
    // Every simulated agent registers from 127.0.0.1: the per-source limit is for a real network.
    settings.put(Setting.REGISTER_LIMIT_PER_SOURCE, String.valueOf(Math.max(120, options.agents() * 20)));
    RollcallConfig config = RollcallConfig.load(env, java.util.Optional.empty()).with(settings);
    Duration outage = outageFor(options.duration(), config);
    Duration needed = options.duration().multipliedBy(3).dividedBy(10).plus(outage).plus(config.leaseTtl());
    if (needed.compareTo(options.duration()) > 0) {
      throw new IllegalArgumentException("--duration " + Durations.format(options.duration()) + " is too short for "
          + options.agents() + " agents at a heartbeat interval of " + Durations.format(config.heartbeatInterval())
          + ": the gateway outage (" + Durations.format(outage) + ", long enough to be judged) and the return from it "
          + "need at least " + Durations.format(Duration.ofSeconds((long) Math.ceil(outage.plus(config.leaseTtl())
              .toMillis() / 700.0))));
    }
    if (options.cluster().separateProcesses()) {
      try (ChaosCluster cluster = ChaosCluster.start(env, settings, options.cluster(), options.seed(), options.report(), out)) {
        return new Scenario(cluster).play();
      }
    }
    GatewaySimModule sim = new GatewaySimModule(options.seed());
    List<RollcallModule> modules = new ArrayList<>(Modules.controlPlane());
    modules.add(sim);
    try (Node node = Node.start(config, Node.Mode.DEV, modules)) {
      return new Scenario(new OneJvm(node, sim)).play();
    }
  }

  /** One run against a started node. */
  private final class Scenario {
    private final Stack stack;
    private final RollcallConfig config;
    private final String api;
    private final String simUrl;
    private final OperatorApi operator;
    private final Map<String, String> gatewayIds = new LinkedHashMap<>();
    private final Map<String, FaultProfile> plan;
    private final Map<String, List<String>> byGateway = new LinkedHashMap<>();
    private final Instant started = Instant.now();
    /** When each dark gateway's outage ends (by the driver's clock): its agents can only converge after it. */
    private final Map<String, Instant> outageEnds = new java.util.concurrent.ConcurrentHashMap<>();
    /** The machine's delay of the event loops during this run: added to every time bound below. */
    private final SchedulingLag.Window lag;

    Scenario(Stack stack) {
      this.stack = stack;
      this.lag = stack.lag().window();
      this.config = stack.config();
      this.api = stack.api();
      this.simUrl = stack.simUrl();
      this.operator = new OperatorApi(config.adminToken().orElseThrow());
      // Gateway names carry the run's id: a second run against the same database must not collide.
      String run = Long.toString(System.currentTimeMillis(), 36);
      for (int g = 1; g <= options.gateways(); g++) {
        byGateway.put("gw-" + g + "-" + run, new ArrayList<>());
      }
      List<String> gateways = new ArrayList<>(byGateway.keySet());
      for (int a = 1; a <= options.agents(); a++) {
        byGateway.get(gateways.get((a - 1) % gateways.size())).add(String.format("agent-%06d", a));
      }
      this.plan = FaultPlan.assign(options.seed(), byGateway, options.faults());
    }

    JsonObject play() throws Exception {
      for (String name : byGateway.keySet()) {
        JsonObject created = call("POST", api + "/api/v1/gateways", new JsonObject().put("name", name)
            .put("baseUrl", simUrl + "/gw/" + name).put("templateVersion", 1), 201);
        gatewayIds.put(name, created.getString("id"));
      }
      // The plan goes over in pages: its size grows with the fleet, the simulator's body limit does not.
      JsonObject assign = new JsonObject();
      for (Map.Entry<String, FaultProfile> e : plan.entrySet()) {
        assign.put(e.getKey(), e.getValue().wireName());
        if (assign.size() == FAULT_PAGE) {
          call("PUT", simUrl + "/sim/faults", new JsonObject().put("assign", assign), 200);
          assign = new JsonObject();
        }
      }
      if (!assign.isEmpty()) {
        call("PUT", simUrl + "/sim/faults", new JsonObject().put("assign", assign), 200);
      }

      ExecutorService creators = Executors.newFixedThreadPool(8);
      ScheduledExecutorService drivers = Executors.newScheduledThreadPool(2);
      try {
        List<java.util.concurrent.Future<?>> creations = new ArrayList<>();
        byGateway.forEach((gateway, agents) -> agents.forEach(agent -> creations.add(creators.submit(() -> {
          return call("POST", api + "/api/v1/agents", new JsonObject().put("gatewayId", gatewayIds.get(gateway)).put("name", agent), 202);
        }))));
        for (var c : creations) {
          c.get(60, TimeUnit.SECONDS);
        }
        // Node events are timed from here, like the gateway outage.
        stack.startNodeEvents();
        List<String> gateways = new ArrayList<>(gatewayIds.keySet());
        AtomicInteger tasksCreated = new AtomicInteger();
        drivers.scheduleAtFixedRate(() -> {
          try {
            String gateway = gateways.get(tasksCreated.get() % gateways.size());
            call("POST", api + "/api/v1/tasks", new JsonObject().put("gatewayId", gatewayIds.get(gateway))
                .put("payload", new JsonObject().put("n", tasksCreated.get())), 201);
            tasksCreated.incrementAndGet();
          } catch (RuntimeException e) {
            // the driver keeps driving; a refused task shows in the report's task counts
          }
        }, 500, 250, TimeUnit.MILLISECONDS);
        long outageAt = options.duration().toMillis() * 3 / 10;
        long outageFor = outageFor(options.duration(), config).toMillis();
        byGateway.forEach((gateway, agents) -> {
          if (!agents.isEmpty() && agents.stream().allMatch(a -> plan.get(a) == FaultProfile.GATEWAY_OUTAGE)) {
            drivers.schedule(() -> {
              outageEnds.put(gateway, Instant.now().plusMillis(outageFor));
              call("POST", simUrl + "/sim/gateways/" + gateway + "/outage", new JsonObject().put("ms", outageFor), 200);
            }, outageAt, TimeUnit.MILLISECONDS);
          }
        });

        long end = System.nanoTime() + options.duration().toNanos();
        while (System.nanoTime() < end) {
          TimeUnit.MILLISECONDS.sleep(Math.min(5_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
          out.printf("chaos %3ds: %s, tasks created %d%n", Duration.between(started, Instant.now()).toSeconds(),
              statusLine(), tasksCreated.get());
          out.flush();
        }
        stack.awaitNodeEvents();
      } finally {
        creators.shutdownNow();
        drivers.shutdownNow();
      }
      // Settle: faults stop being injected (no new tasks or outages); the fleet gets the time seed 01's
      // escalation and one recovery need to finish.
      long settleEnd = System.nanoTime() + settleTime().toNanos();
      JsonObject report = report();
      while (System.nanoTime() < settleEnd && !report.getBoolean("passed")) {
        TimeUnit.SECONDS.sleep(1);
        report = report();
      }
      out.printf("chaos settled after %ds: %s%n", Duration.between(started, Instant.now()).toSeconds(), statusLine());
      lag.close();
      return report;
    }

    /** Seed 01's full escalation, a lease and suspicion window, one recovery, with room to spare. */
    private Duration settleTime() {
      return config.checkinDeadline().multipliedBy(config.maxWakeAttempts() + 3).plus(config.leaseTtl())
          .plus(config.suspicionWindow()).plus(Duration.ofSeconds(10));
    }

    /**
     * When the agent's last disruption ended, from which its convergence is measured: its creation, the
     * end of its gateway's outage, its crash, or its first 401 (faults the run inflicts are not the
     * control plane's delay).
     */
    private Instant disruptedAt(AgentRow row, JsonObject sim) {
      Instant from = row.createdAt;
      String gateway = sim == null ? null : sim.getString("gateway");
      Instant outageEnd = gateway == null ? null : outageEnds.get(gateway);
      if (outageEnd != null && outageEnd.isAfter(from)) {
        from = outageEnd;
      }
      if (sim == null) {
        return from;
      }
      if (sim.getString("crashedAt") != null && Instant.parse(sim.getString("crashedAt")).isAfter(from)) {
        from = Instant.parse(sim.getString("crashedAt"));
      }
      Instant first401 = null;
      for (Object o : sim.getJsonArray("instances")) {
        JsonObject i = (JsonObject) o;
        List<String> starts = new ArrayList<>();
        i.getJsonArray("streaks", new JsonArray()).forEach(st -> starts.add(((JsonObject) st).getString("from")));
        if (i.getString("unauthorizedSince") != null) {
          starts.add(i.getString("unauthorizedSince"));
        }
        for (String at : starts) {
          Instant t = Instant.parse(at);
          first401 = first401 == null || t.isBefore(first401) ? t : first401;
        }
      }
      return first401 != null && first401.isAfter(from) ? first401 : from;
    }

    /**
     * The policy's bound on convergence from an agent's last disruption, derived from the settings: the
     * longest of seed 01's escalation after a creation (every wake's check-in deadline, or a stuck
     * start's {@code maxTransition} and a heartbeat), a crash's detection and replacement (the 401 path
     * below with a crash for a drift), the 401 path and the first heartbeat after it, and the return
     * from an outage (a heartbeat, then a replacement's escalation for an agent that was re-provisioned
     * while dark); each plus a gateway call and the loops' slack.
     */
    Duration convergenceBound() {
      Duration hb = config.heartbeatInterval();
      Duration escalation = config.checkinDeadline().multipliedBy(config.maxWakeAttempts());
      Duration creation = max(escalation, config.maxTransition().plus(hb)).plus(config.gatewayTimeout()).plus(schedulingSlack());
      Duration replaced = permanent401Bound().plus(hb);
      Duration outage = hb.plus(escalation).plus(config.gatewayTimeout()).plus(schedulingSlack());
      return max(max(creation, replaced), outage).plus(stack.nodeLossSlack());
    }

    private static Duration max(Duration a, Duration b) {
      return a.compareTo(b) >= 0 ? a : b;
    }

    private static JsonObject bound(JsonObject measured, Duration limit) {
      Object p99 = measured.getValue("p99");
      return new JsonObject().put("limit_ms", limit.toMillis()).put("p99_ms", p99)
          .put("holds", p99 == null || ((Number) p99).longValue() <= limit.toMillis());
    }

    /**
     * What the control plane's own loops may add to any deadline on a loaded machine: a reconcile tick and
     * a fleet sample (twice each: the one in progress and the next), 2 s for scheduling, and the worst
     * event-loop lag this run measured ({@link SchedulingLag}: near 0 on an idle machine).
     */
    private Duration schedulingSlack() {
      return config.reconcileInterval().multipliedBy(2).plus(config.fleetSampleInterval().multipliedBy(2)).plusSeconds(2)
          .plus(lag.max());
    }

    /**
     * Seed 02 over the whole run: no stretch in starting longer than max_transition, or than a lease and a
     * suspicion window for an agent that stopped heartbeating (it goes offline then), with 2 s of slack and
     * the run's measured event-loop lag.
     */
    private Duration startingLimit() {
      return max(config.maxTransition(), config.leaseTtl().plus(config.suspicionWindow())).plusSeconds(2).plus(lag.max());
    }

    /**
     * The longest 401 streak the policy allows, derived from the settings along the path that ends it:
     * the lease lapses (at most {@code leaseTtl} after the last accepted heartbeat), the suspicion window
     * passes, the offline agent waits one check-in deadline (it may come back by itself), the re-provision
     * waits for its gateway's bucket, the gateway call takes at most {@code gatewayTimeout}, and the
     * control plane's loops add their {@link #schedulingSlack()}. The bucket's share: the gateway with the
     * most agents whose profile re-provisions them (unauthorized, crash-later), less the burst, at the
     * bucket's rate: they can all come due together.
     */
    Duration permanent401Bound() {
      return config.leaseTtl().plus(config.suspicionWindow()).plus(config.checkinDeadline()).plus(bucketWait())
          .plus(config.gatewayTimeout()).plus(schedulingSlack()).plus(stack.nodeLossSlack());
    }

    private Duration bucketWait() {
      long worst = 0;
      for (List<String> agents : byGateway.values()) {
        worst = Math.max(worst, agents.stream().map(plan::get)
            .filter(p -> p == FaultProfile.UNAUTHORIZED || p == FaultProfile.CRASH_LATER).count());
      }
      long queued = Math.max(0, worst - config.reprovisionBurst());
      return Duration.ofMillis((long) Math.ceil(queued * 60_000.0 / config.reprovisionsPerMinute()));
    }

    private String statusLine() {
      Map<String, Long> counts = new TreeMap<>();
      for (Row row : (run("SELECT lifecycle_status, count(*) FROM agents WHERE gateway_id = ANY($1) GROUP BY 1"))) {
        counts.put(row.getString(0), row.getLong(1));
      }
      return counts.toString();
    }

    JsonObject report() throws Exception {
      Instant now = Instant.now();
      JsonObject simState = call("GET", simUrl + "/sim/state", null, 200);
      Map<String, JsonObject> simByName = new HashMap<>();
      simState.getJsonArray("agents").forEach(o -> simByName.put(((JsonObject) o).getString("name"), (JsonObject) o));
      Map<String, AgentRow> rows = new HashMap<>();
      for (Row r : (run("SELECT a.id, a.name, a.lifecycle_status, a.status_reason, a.last_provision_error, "
          + "a.wake_attempts, a.created_at, a.status_changed_at, a.registered_at, a.updated_at, a.checkin_deadline, "
          + "a.suspect_since, a.recovery_at, a.provision_epoch, "
          + "EXISTS (SELECT 1 FROM tasks t WHERE t.agent_id = a.id AND t.state IN ('dispatched', 'delivered')) AS live_task "
          + "FROM agents a WHERE a.lifecycle_status <> 'deleted' AND a.gateway_id = ANY($1)"))) {
        rows.put(r.getString("name"), new AgentRow(r.getUUID("id").toString(), r.getString("name"), r.getString("lifecycle_status"),
            r.getString("status_reason"), r.getString("last_provision_error"), r.getInteger("wake_attempts"),
            instant(r, "created_at"), instant(r, "status_changed_at"), instant(r, "registered_at"), instant(r, "updated_at"),
            instant(r, "checkin_deadline"), r.getBoolean("live_task"), instant(r, "suspect_since"), instant(r, "recovery_at"),
            r.getLong("provision_epoch")));
      }

      Map<String, Invariant> invariants = new LinkedHashMap<>();
      for (String name : List.of("single_instance_per_agent", "no_permanent_401", "recovery_under_way_for_401",
          "offline_has_reason", "no_stuck_starting",
          "dispatch_rolled_back", "processed_implies_delivered", "no_double_dispatch", "wake_attempts_capped", "crash_detected")) {
        invariants.put(name, new Invariant());
      }
      List<Instant> losses = stack.nodeLosses();
      java.util.Optional<Instant> nodeLoss = losses.stream().findFirst();
      JsonObject nodes = stack.nodesReport();
      if (nodes != null) {
        invariants.put("no_offline_for_node_loss", new Invariant());
        invariants.put("node_loss_absorbed", new Invariant());
      }
      Duration permanent401 = permanent401Bound();
      long longest401 = 0;
      // How long the control plane may take to notice that an instance answering 401 went silent: a lease,
      // then the lapse scan and a fleet sample.
      Duration noticed = config.leaseTtl().plus(schedulingSlack());
      for (JsonObject a : simByName.values()) {
        AgentRow row = rows.get(a.getString("name"));
        for (Object o : a.getJsonArray("instances")) {
          JsonObject i = (JsonObject) o;
          String since = i.getString("unauthorizedSince");
          if (since != null && !i.getBoolean("stopped") && row != null
              && Duration.between(Instant.parse(since), now).compareTo(noticed) > 0 && !row.recoveryUnderWay(i.getLong("epoch"))) {
            invariants.get("recovery_under_way_for_401").violate(a.getString("name"), "instance " + i.getString("instanceId")
                + " answered 401 since " + since + " and the agent is " + row.status + " with no recovery under way");
          }
        }
        if (a.getInteger("maxStartsPerAttempt", 0) > 1) {
          invariants.get("no_double_dispatch").violate(a.getString("name"), "the gateway was asked " + a.getInteger("maxStartsPerAttempt")
              + " times to start one task attempt");
        }
        if (a.getInteger("maxRegisteredPerEpoch") > 1) {
          invariants.get("single_instance_per_agent").violate(a.getString("name"), "" + a.getInteger("maxRegisteredPerEpoch")
              + " instances registered in one provision epoch");
        }
        for (Object o : a.getJsonArray("instances")) {
          JsonObject i = (JsonObject) o;
          // The longest 401 streak the instance ever had, ended or still going: not just the end state.
          long longest = i.getLong("longestUnauthorizedMs", 0L);
          longest401 = Math.max(longest401, longest);
          if (longest > permanent401.toMillis()) {
            invariants.get("no_permanent_401").violate(a.getString("name"), "401 for " + longest + " ms (instance "
                + i.getString("instanceId") + ")");
          }
        }
      }
      int wedged = 0;
      List<String> wedgedExamples = new ArrayList<>();
      int converged = 0;
      Map<String, Integer> finalStatus = new TreeMap<>();
      List<Long> convergence = new ArrayList<>();
      JsonArray unconverged = new JsonArray();
      // When each agent entered the stretch it ends in (ready/busy, or offline) for the last time: a task
      // moving a ready agent to busy and back is not a new convergence.
      Map<String, Instant> settledAt = new HashMap<>();
      Map<String, Boolean> endsReady = new HashMap<>();
      plan.forEach((name, profile) -> {
        AgentRow row = rows.get(name);
        if (row != null) {
          endsReady.put(row.id, profile.endsReady());
        }
      });
      Duration startingLimit = startingLimit();
      long longestStarting = 0;
      Map<String, Instant> startingSince = new HashMap<>();
      Map<String, String> nameById = new HashMap<>();
      rows.values().forEach(row -> nameById.put(row.id, row.name));
      for (Row r : run("SELECT e.agent_id, e.at, e.to_status, e.detail FROM lifecycle_events e JOIN agents a ON a.id = e.agent_id "
          + "WHERE e.to_status IS NOT NULL AND a.gateway_id = ANY($1) ORDER BY e.agent_id, e.id")) {
        String id = r.getUUID(0).toString();
        Instant at = r.getOffsetDateTime(1).toInstant();
        Instant since = startingSince.remove(id);
        if (since != null) {
          longestStarting = Math.max(longestStarting, Duration.between(since, at).toMillis());
        }
        if (since != null && Duration.between(since, at).compareTo(startingLimit) > 0) {
          invariants.get("no_stuck_starting").violate(nameById.get(id), "starting for " + Duration.between(since, at).toMillis() + " ms");
        }
        if ("starting".equals(r.getString(2))) {
          startingSince.put(id, at);
        }
        JsonObject detail = r.getJsonObject(3);
        if ("offline".equals(r.getString(2)) && (detail == null || detail.getString("reason", "").isBlank())) {
          invariants.get("offline_has_reason").violate(nameById.get(id), "went offline at " + at + " without a reason");
        }
        boolean terminal = Boolean.TRUE.equals(endsReady.get(id))
            ? Set.of("ready", "busy").contains(r.getString(2)) : "offline".equals(r.getString(2));
        if (!terminal) {
          settledAt.remove(id);
        } else {
          settledAt.putIfAbsent(id, r.getOffsetDateTime(1).toInstant());
        }
      }
      for (Map.Entry<String, FaultProfile> e : plan.entrySet()) {
        AgentRow row = rows.get(e.getKey());
        if (row == null) {
          continue;
        }
        finalStatus.merge(row.status, 1, Integer::sum);
        if ("offline".equals(row.status) && (row.reason == null || row.reason.isBlank())) {
          invariants.get("offline_has_reason").violate(row.name, "offline without a reason");
        }
        Instant stillStarting = startingSince.get(row.id);
        if (stillStarting != null && Duration.between(stillStarting, now).compareTo(startingLimit) > 0) {
          invariants.get("no_stuck_starting").violate(row.name, "starting since " + stillStarting);
        }
        if (row.wakeAttempts > config.maxWakeAttempts()) {
          invariants.get("wake_attempts_capped").violate(row.name, "wake_attempts " + row.wakeAttempts);
        }
        String wedge = wedged(row, now);
        if (wedge != null) {
          wedged++;
          if (wedgedExamples.size() < 10) {
            wedgedExamples.add(row.name + ": " + wedge);
          }
        }
        // Ready in the database and alive on the simulator's side: a registered instance of its epoch that
        // heartbeated lately (a crash the control plane missed would otherwise count as converged).
        boolean ready = Set.of("ready", "busy").contains(row.status) && aliveInSim(simByName.get(row.name), now);
        boolean offlineWithReason = "offline".equals(row.status) && row.reason != null;
        if (e.getValue().endsReady() ? ready : offlineWithReason) {
          converged++;
          Instant settled = settledAt.get(row.id);
          Instant from = disruptedAt(row, simByName.get(row.name));
          convergence.add(Math.max(0, Duration.between(from, settled == null ? row.statusChangedAt : settled).toMillis()));
        } else if (unconverged.size() < 20) {
          unconverged.add(new JsonObject().put("agent", row.name).put("profile", e.getValue().wireName())
              .put("status", row.status).put("reason", row.reason).put("expected", e.getValue().expectation()));
        }
      }
      // A delivered task whose ack never came (the agent works 150 ms): stuck work is wedged too.
      Instant ackedBefore = now.minusSeconds(10);
      for (Row r : run("SELECT t.id, t.delivered_at FROM tasks t WHERE t.gateway_id = ANY($1) AND t.state = 'delivered' "
          + "AND t.delivered_at < '" + ackedBefore + "'::timestamptz")) {
        wedged++;
        if (wedgedExamples.size() < 10) {
          wedgedExamples.add("task " + r.getUUID(0) + ": delivered since " + r.getOffsetDateTime(1) + ", never acknowledged");
        }
      }
      // Wakes per provision epoch, from the event log: seed 01's budget holds for every cycle.
      for (Row r : (run("SELECT a.name, e.provision_epoch, count(*) FROM lifecycle_events e "
          + "JOIN agents a ON a.id = e.agent_id WHERE e.name = 'lifecycle.wake.sent' AND a.gateway_id = ANY($1) "
          + "GROUP BY 1, 2 HAVING count(*) > " + config.maxWakeAttempts()))) {
        invariants.get("wake_attempts_capped").violate(r.getString(0), r.getLong(2) + " wakes in epoch " + r.getLong(1));
      }
      // Seed 04: every start of a task on an agent whose starts fail was rolled back (or ended the task).
      // Starts still within their confirmation window are not judged yet.
      Instant settledBefore = now.minus(config.gatewayTimeout()).minus(config.startConfirmWindow()).minusSeconds(1);
      for (Row r : (run("SELECT a.name, d.task_id, d.attempt FROM task_events d JOIN agents a ON a.id = d.agent_id "
          + "WHERE d.name = 'task.dispatched' AND a.gateway_id = ANY($1) AND d.at < '" + settledBefore + "'::timestamptz AND NOT EXISTS (SELECT 1 FROM task_events x WHERE x.task_id = d.task_id "
          + "AND x.attempt = d.attempt AND x.name IN ('task.rolled_back', 'task.failed', 'task.requeued', 'task.delivered', 'task.processed'))"))) {
        FaultProfile p = plan.get(r.getString(0));
        if (p == FaultProfile.START_FAILURE_ERROR || p == FaultProfile.START_FAILURE_FALSE) {
          invariants.get("dispatch_rolled_back").violate(r.getString(0), "task " + r.getUUID(1) + " attempt " + r.getInteger(2)
              + " neither rolled back nor settled");
        }
      }
      for (Row r : (run("SELECT a.name, e.task_id FROM task_events e JOIN agents a ON a.id = e.agent_id "
          + "WHERE e.name = 'task.delivered' AND a.gateway_id = ANY($1)"))) {
        FaultProfile p = plan.get(r.getString(0));
        if (p == FaultProfile.START_FAILURE_ERROR || p == FaultProfile.START_FAILURE_FALSE) {
          invariants.get("dispatch_rolled_back").violate(r.getString(0), "task " + r.getUUID(1)
              + " counted as delivered though every start there fails");
        }
      }
      for (Row r : run("SELECT e.task_id, e.attempt, count(*) FROM task_events e JOIN tasks t ON t.id = e.task_id "
          + "WHERE e.name = 'task.dispatched' AND t.gateway_id = ANY($1) GROUP BY 1, 2 HAVING count(*) > 1")) {
        invariants.get("no_double_dispatch").violate(null, "task " + r.getUUID(0) + " attempt " + r.getInteger(1) + " dispatched "
            + r.getLong(2) + " times");
      }
      if (nodes != null && nodeLoss.isPresent()) {
        // A healthy agent never stops heartbeating or misses a check-in: a silence verdict on one after a node
        // was lost was made for the control plane's own loss, which the outage grace and the balancer are
        // there to absorb. (A provision call that failed is the gateway's answer, not a verdict: not counted.)
        for (Row r : run("SELECT a.name, e.at, e.name FROM lifecycle_events e JOIN agents a ON a.id = e.agent_id "
            + "WHERE a.gateway_id = ANY($1) AND e.name IN ('lifecycle.liveness.expired', 'lifecycle.reconcile.max_attempts_reached') "
            + "AND e.at >= '" + nodeLoss.get() + "'::timestamptz")) {
          if (plan.get(r.getString(0)) == FaultProfile.HEALTHY) {
            invariants.get("no_offline_for_node_loss").violate(r.getString(0), "a healthy agent was judged offline (" + r.getString(2)
                + ") at " + r.getOffsetDateTime(1).toInstant() + ", after the node loss at " + nodeLoss.get());
          }
        }
        for (Object o : nodes.getJsonArray("events")) {
          JsonObject event = (JsonObject) o;
          if ("killed".equals(event.getString("what")) && !event.getBoolean("absorbed", false)) {
            invariants.get("node_loss_absorbed").violate(null, "node " + event.getInteger("node") + " killed at " + event.getString("at")
                + ": within 60 s, membership seen " + event.getJsonObject("membership_ms") + ", outage graces "
                + event.getJsonObject("outage_grace_ms") + ", cut-off healthy agents back after " + event.getValue("agents_back_ms") + " ms");
          }
        }
      }
      for (Row r : (run("SELECT t.id FROM tasks t WHERE t.state = 'processed' AND t.gateway_id = ANY($1) AND NOT EXISTS "
          + "(SELECT 1 FROM task_events e WHERE e.task_id = t.id AND e.attempt = t.attempt AND e.name = 'task.delivered')"))) {
        invariants.get("processed_implies_delivered").violate(null, "task " + r.getUUID(0) + " processed without a delivery");
      }

      // Each crash against the first offline verdict after it: one query for every crashed agent.
      List<Long> detection = new ArrayList<>();
      // A crash whose verdict falls due while the cluster absorbs a node loss waits for the outage grace
      // the loss started, as it should: those are bounded apart, with the node-loss slack added.
      List<Long> detectionNearLoss = new ArrayList<>();
      Map<String, Long> detectedIn = new HashMap<>();
      Duration detectionLimit = config.leaseTtl().plus(config.suspicionWindow()).plusSeconds(1);
      List<JsonObject> crashedAgents = simByName.values().stream().filter(a -> a.getString("crashedAt") != null).toList();
      Map<String, Instant> detectedAt = new HashMap<>();
      if (!crashedAgents.isEmpty()) {
        java.util.UUID[] crashedIds = crashedAgents.stream().map(a -> java.util.UUID.fromString(a.getString("agentId")))
            .toArray(java.util.UUID[]::new);
        java.time.OffsetDateTime[] crashedAts = crashedAgents.stream()
            .map(a -> dev.rollcall.core.persistence.AgentRepository.utc(Instant.parse(a.getString("crashedAt"))))
            .toArray(java.time.OffsetDateTime[]::new);
        for (Row r : await(stack.pool().preparedQuery("SELECT c.agent_id, min(e.at) FROM unnest($1::uuid[], $2::timestamptz[]) "
            + "AS c(agent_id, crashed_at) JOIN lifecycle_events e ON e.agent_id = c.agent_id "
            + "AND e.name = 'lifecycle.liveness.expired' AND e.at >= c.crashed_at GROUP BY c.agent_id")
            .execute(io.vertx.sqlclient.Tuple.tuple().addArrayOfUUID(crashedIds).addArrayOfOffsetDateTime(crashedAts)))) {
          detectedAt.put(r.getUUID(0).toString(), r.getOffsetDateTime(1).toInstant());
        }
      }
      for (JsonObject a : crashedAgents) {
        Instant crashedAt = Instant.parse(a.getString("crashedAt"));
        Instant detected = detectedAt.get(a.getString("agentId"));
        if (detected != null) {
          boolean nearLoss = losses.stream().anyMatch(lost -> crashedAt.plus(detectionLimit).isAfter(lost)
              && crashedAt.isBefore(lost.plus(stack.nodeLossSlack())));
          (nearLoss ? detectionNearLoss : detection).add(Duration.between(crashedAt, detected).toMillis());
          if (!nearLoss) {
            detectedIn.put(a.getString("name"), Duration.between(crashedAt, detected).toMillis());
          }
        } else if (crashedAt.plus(config.leaseTtl()).plus(config.suspicionWindow()).plusSeconds(5).isBefore(now)) {
          invariants.get("crash_detected").violate(a.getString("name"), "crashed at " + crashedAt + ", never judged offline");
        }
      }
      Map<String, Integer> tasks = new TreeMap<>();
      for (Row r : (run("SELECT state, count(*) FROM tasks WHERE gateway_id = ANY($1) GROUP BY 1"))) {
        tasks.put(r.getString(0), r.getLong(1).intValue());
      }
      Map<String, Integer> faults = new TreeMap<>();
      plan.values().forEach(p -> faults.merge(p.wireName(), 1, Integer::sum));

      JsonArray explained = explain(invariants, rows, simByName);
      // The slowest detections told in full like a violation: where the time went between crash and verdict.
      Invariant slowest = new Invariant();
      detectedIn.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(3)
          .forEach(e -> slowest.violate(e.getKey(), "detected " + e.getValue() + " ms after its crash"));
      JsonArray slowestDetections = explain(Map.of("slowest_detection", slowest), rows, simByName);
      JsonObject convergenceMs = percentiles(convergence);
      JsonObject detectionMs = percentiles(detection);
      JsonObject detectionNearLossMs = percentiles(detectionNearLoss);
      JsonObject bounds = new JsonObject()
          .put("no_permanent_401_ms", permanent401.toMillis())
          .put("longest_401_ms", longest401)
          .put("no_stuck_starting_ms", startingLimit.toMillis())
          .put("longest_starting_ms", longestStarting)
          .put("scheduling_lag", lag.toJson())
          .put("node_loss_slack_ms", stack.nodeLossSlack().toMillis())
          .put("detection_p99", bound(detectionMs, detectionLimit))
          .put("detection_near_node_loss_p99", bound(detectionNearLossMs, detectionLimit.plus(stack.nodeLossSlack())))
          .put("convergence_p99", bound(convergenceMs, convergenceBound().plusSeconds(2)));
      boolean withinBounds = bounds.getJsonObject("detection_p99").getBoolean("holds")
          && bounds.getJsonObject("detection_near_node_loss_p99").getBoolean("holds")
          && bounds.getJsonObject("convergence_p99").getBoolean("holds");
      JsonObject invariantJson = new JsonObject();
      boolean allHold = withinBounds;
      for (Map.Entry<String, Invariant> e : invariants.entrySet()) {
        invariantJson.put(e.getKey(), e.getValue().toJson());
        allHold &= e.getValue().violations == 0;
      }
      JsonObject settingsJson = new JsonObject();
      config.describe().forEach(e -> settingsJson.put(e.getKey(), e.getValue()));
      return new JsonObject()
          .put("agents", options.agents())
          .put("gateways", options.gateways())
          .put("seed", options.seed())
          .put("durationMs", options.duration().toMillis())
          .put("settings", settingsJson)
          .put("faults", new JsonObject(new LinkedHashMap<>(faults)))
          .put("final_status", new JsonObject(new LinkedHashMap<>(finalStatus)))
          .put("converged", converged)
          .put("not_converged", unconverged)
          .put("wedged", wedged)
          .put("wedged_examples", new JsonArray(wedgedExamples))
          .put("invariants", invariantJson)
          .put("convergence_ms", convergenceMs)
          .put("detection_ms", detectionMs)
          .put("detection_near_node_loss_ms", detectionNearLossMs)
          .put("bounds", bounds)
          .put("tasks", new JsonObject(new LinkedHashMap<>(tasks)))
          .put("evidence", evidence(simByName))
          .put("cluster", nodes)
          .put("violations_explained", explained)
          .put("slowest_detections", slowestDetections)
          .put("passed", allHold && wedged == 0 && converged == options.agents());
    }

    /**
     * Each violating agent's story, so that a failure can be diagnosed from the report alone: its id,
     * name, gateway and fault profile, then in time order its lifecycle events (from the control plane's
     * log) and its instances' starts, registrations, 401 streaks and stops (from the simulator).
     */
    private JsonArray explain(Map<String, Invariant> invariants, Map<String, AgentRow> rows, Map<String, JsonObject> simByName) {
      Map<String, List<String>> brokenBy = new LinkedHashMap<>();
      invariants.forEach((name, inv) -> inv.agents.stream().limit(EXPLAINED_PER_INVARIANT)
          .forEach(agent -> brokenBy.computeIfAbsent(agent, a -> new ArrayList<>()).add(name)));
      JsonArray out = new JsonArray();
      if (brokenBy.isEmpty()) {
        return out;
      }
      List<java.util.UUID> ids = new ArrayList<>();
      brokenBy.keySet().forEach(name -> {
        AgentRow row = rows.get(name);
        if (row != null) {
          ids.add(java.util.UUID.fromString(row.id));
        }
      });
      Map<String, List<JsonObject>> timelines = new HashMap<>();
      for (Row r : await(stack.pool().preparedQuery("SELECT agent_id, at, name, from_status, to_status, provision_epoch, detail "
          + "FROM lifecycle_events WHERE agent_id = ANY($1) ORDER BY agent_id, id")
          .execute(io.vertx.sqlclient.Tuple.of(ids.toArray(java.util.UUID[]::new))))) {
        JsonObject detail = r.getJsonObject(6);
        String why = detail == null ? null : detail.getString("reason", detail.getString("why", detail.getString("error")));
        if (detail != null && detail.getString("lapsedAt") != null) {
          why = "last heard " + detail.getString("lastHeard") + ", lease lapsed " + detail.getString("lapsedAt") + ", marked "
              + detail.getValue("markedAfterLapseMs") + " ms after the lapse";
        }
        timelines.computeIfAbsent(r.getUUID(0).toString(), k -> new ArrayList<>()).add(new JsonObject()
            .put("at", r.getOffsetDateTime(1).toInstant().toString()).put("side", "control-plane").put("what", r.getString(2)
                + (r.getString(4) == null ? "" : " " + r.getString(3) + " -> " + r.getString(4))
                + " (epoch " + r.getLong(5) + ")" + (why == null ? "" : ": " + why)));
      }
      brokenBy.forEach((name, broken) -> {
        AgentRow row = rows.get(name);
        JsonObject sim = simByName.get(name);
        List<JsonObject> timeline = new ArrayList<>(row == null ? List.of() : timelines.getOrDefault(row.id, List.of()));
        if (sim != null) {
          for (Object o : sim.getJsonArray("instances")) {
            JsonObject i = (JsonObject) o;
            String instance = "instance " + i.getString("instanceId") + " (epoch " + i.getLong("epoch") + ")";
            simEvent(timeline, i.getString("startedAt"), instance + " started");
            simEvent(timeline, i.getString("registeredAt"), instance + " registered");
            for (Object so : i.getJsonArray("streaks", new JsonArray())) {
              JsonObject streak = (JsonObject) so;
              simEvent(timeline, streak.getString("from"), instance + " 401 streak of " + streak.getLong("ms") + " ms began; ended by "
                  + streak.getString("ended"));
            }
            simEvent(timeline, i.getString("unauthorizedSince"), instance + " 401 streak began, still going at the report");
            simEvent(timeline, i.getString("lastOkAt"), instance + " last heartbeat accepted");
            simEvent(timeline, i.getString("stoppedAt"), instance + " stopped: " + i.getString("stopReason"));
          }
          simEvent(timeline, sim.getString("crashedAt"), "crashed (simulated)");
        }
        timeline.sort(java.util.Comparator.comparing(e -> Instant.parse(e.getString("at"))));
        out.add(new JsonObject().put("agent", name).put("id", row == null ? null : row.id)
            .put("gateway", sim == null ? null : sim.getString("gateway"))
            .put("profile", plan.get(name) == null ? null : plan.get(name).wireName())
            .put("invariants", new JsonArray(broken)).put("status", row == null ? null : row.status)
            .put("timeline", new JsonArray(new ArrayList<>(timeline))));
      });
      return out;
    }

    private static void simEvent(List<JsonObject> timeline, String at, String what) {
      if (at != null) {
        timeline.add(new JsonObject().put("at", at).put("side", "simulator").put("what", what));
      }
    }

    /** A query over this run's gateways only ($1): the database may hold other fleets. */
    private io.vertx.sqlclient.RowSet<Row> run(String sql) {
      java.util.UUID[] ids = gatewayIds.values().stream().map(java.util.UUID::fromString).toArray(java.util.UUID[]::new);
      return await(stack.pool().preparedQuery(sql).execute(io.vertx.sqlclient.Tuple.of(ids)));
    }

    /** The simulator's side of "ready": a registered, running instance of its epoch heartbeated lately. */
    private boolean aliveInSim(JsonObject agent, Instant now) {
      if (agent == null) {
        return false;
      }
      Instant recent = now.minus(config.heartbeatInterval().multipliedBy(4)).minusSeconds(1);
      for (Object o : agent.getJsonArray("instances")) {
        JsonObject i = (JsonObject) o;
        if (!i.getBoolean("stopped") && i.getBoolean("registered") && i.getLong("epoch").equals(agent.getLong("epoch"))
            && i.getString("lastOkAt") != null && Instant.parse(i.getString("lastOkAt")).isAfter(recent)) {
          return true;
        }
      }
      return false;
    }

    /** That the faults really fired: counts from both sides, per kind. */
    private JsonObject evidence(Map<String, JsonObject> simByName) {
      int duplicates = 0;
      int streaks401 = 0;
      int crashes = 0;
      for (JsonObject a : simByName.values()) {
        duplicates += a.getInteger("duplicateRefusals");
        crashes += a.getString("crashedAt") == null ? 0 : 1;
        for (Object o : a.getJsonArray("instances")) {
          streaks401 += ((JsonObject) o).getInteger("unauthorizedStreaks", 0);
        }
      }
      JsonObject evidence = new JsonObject().put("duplicate_instances_refused", duplicates).put("unauthorized_streaks", streaks401)
          .put("crashes", crashes);
      for (Row r : run("SELECT e.name, count(*) FROM lifecycle_events e JOIN agents a ON a.id = e.agent_id WHERE a.gateway_id = ANY($1) "
          + "AND e.name IN ('lifecycle.reconcile.promoted', 'lifecycle.liveness.expired', 'lifecycle.reconcile.max_attempts_reached', "
          + "'lifecycle.reconcile.retriggered') GROUP BY 1")) {
        evidence.put(r.getString(0), r.getLong(1));
      }
      for (Row r : run("SELECT e.name, count(*) FROM task_events e JOIN tasks t ON t.id = e.task_id WHERE t.gateway_id = ANY($1) "
          + "AND e.name IN ('task.rolled_back', 'task.start_unconfirmed') GROUP BY 1")) {
        evidence.put(r.getString(0), r.getLong(1));
      }
      return evidence;
    }

    /** A transitional state past its limit at the end of the run, or null. */
    private String wedged(AgentRow row, Instant now) {
      Duration slack = Duration.ofSeconds(5).plus(lag.max());
      return switch (row.status) {
        case "provisioning" -> row.updatedAt.plus(config.provisionTakeOverAfter()).plus(slack).isBefore(now)
            ? "provisioning since " + row.updatedAt : null;
        case "waking" -> (row.checkinDeadline == null ? row.updatedAt.plus(config.provisionTakeOverAfter()) : row.checkinDeadline)
            .plus(slack).isBefore(now) ? "waking past its check-in deadline " + row.checkinDeadline : null;
        case "starting" -> row.registeredAt != null && row.registeredAt.plus(config.maxTransition()).plus(config.leaseTtl())
            .plus(config.suspicionWindow()).plus(slack).isBefore(now) ? "starting since " + row.registeredAt : null;
        case "busy" -> !row.liveTask && row.statusChangedAt.plus(config.stuckBusyAfter()).plus(slack).isBefore(now)
            ? "busy without a task since " + row.statusChangedAt : null;
        default -> null;
      };
    }

    private JsonObject call(String method, String url, JsonObject body, int expected) {
      return operator.call(method, url, body, expected);
    }
  }

  /** Writes the report and prints the human summary; returns the exit code (0 only when passed). */
  int finish(JsonObject report) throws Exception {
    if (options.report() != null) {
      Files.writeString(options.report(), report.encodePrettily());
    }
    out.printf("%nchaos run: %d agents on %d gateways, seed %d, %s%n", report.getInteger("agents"), report.getInteger("gateways"),
        report.getLong("seed"), Durations.format(options.duration()));
    out.printf("%-30s %s%n", "faults", report.getJsonObject("faults").encode());
    out.printf("%-30s %s%n", "final status", report.getJsonObject("final_status").encode());
    out.printf("%-30s %d of %d%n", "converged", report.getInteger("converged"), report.getInteger("agents"));
    report.getJsonArray("not_converged").forEach(o -> out.printf("%-30s %s%n", "  not converged", ((JsonObject) o).encode()));
    out.printf("%-30s %d%n", "wedged", report.getInteger("wedged"));
    out.printf("%-30s %s%n", "convergence ms (p50/p99/max)", triple(report.getJsonObject("convergence_ms")));
    out.printf("%-30s %s%n", "detection ms (p50/p99/max)", triple(report.getJsonObject("detection_ms")));
    JsonObject nearLoss = report.getJsonObject("detection_near_node_loss_ms");
    if (nearLoss.getInteger("n") > 0) {
      JsonObject b = report.getJsonObject("bounds").getJsonObject("detection_near_node_loss_p99");
      out.printf("%-30s %s of %d crashes, p99 limit %d ms (%s)%n", "  near a node loss", triple(nearLoss), nearLoss.getInteger("n"),
          b.getLong("limit_ms"), b.getBoolean("holds") ? "holds" : "EXCEEDED");
    }
    JsonObject bounds = report.getJsonObject("bounds");
    out.printf("%-30s detection p99 %s of %d ms (%s), convergence p99 %s of %d ms (%s), longest 401 streak %d of %d ms%n", "bounds",
        bounds.getJsonObject("detection_p99").getValue("p99_ms"), bounds.getJsonObject("detection_p99").getLong("limit_ms"),
        bounds.getJsonObject("detection_p99").getBoolean("holds") ? "holds" : "EXCEEDED",
        bounds.getJsonObject("convergence_p99").getValue("p99_ms"), bounds.getJsonObject("convergence_p99").getLong("limit_ms"),
        bounds.getJsonObject("convergence_p99").getBoolean("holds") ? "holds" : "EXCEEDED", bounds.getLong("longest_401_ms"),
        bounds.getLong("no_permanent_401_ms"));
    out.printf("%-30s longest starting %d of %d ms; event-loop lag p99/max %d/%d ms (added to the bounds)%n", "",
        bounds.getLong("longest_starting_ms"), bounds.getLong("no_stuck_starting_ms"),
        bounds.getJsonObject("scheduling_lag").getLong("p99_ms"), bounds.getJsonObject("scheduling_lag").getLong("max_ms"));
    out.printf("%-30s %s%n", "tasks", report.getJsonObject("tasks").encode());
    out.printf("%-30s %s%n", "evidence (the faults fired)", report.getJsonObject("evidence").encode());
    printCluster(report.getJsonObject("cluster"));
    out.println();
    out.printf("%-30s %-6s %s%n", "invariant", "holds", "violations");
    report.getJsonObject("invariants").forEach(e -> {
      JsonObject inv = (JsonObject) e.getValue();
      out.printf("%-30s %-6s %d%s%n", e.getKey(), inv.getBoolean("holds") ? "yes" : "NO", inv.getInteger("violations"),
          inv.getJsonArray("examples").isEmpty() ? "" : "  e.g. " + inv.getJsonArray("examples").getString(0));
    });
    JsonArray explained = report.getJsonArray("violations_explained", new JsonArray());
    if (!explained.isEmpty()) {
      // The first violating agent of each invariant in full; the report file has up to five per invariant.
      Set<String> told = new java.util.HashSet<>();
      for (Object o : explained) {
        JsonObject a = (JsonObject) o;
        boolean fresh = a.getJsonArray("invariants").stream().map(String::valueOf).filter(told::add).count() > 0;
        if (!fresh) {
          continue;
        }
        out.printf("%n%s (%s) on %s, profile %s, now %s: breaks %s%n", a.getString("agent"), a.getString("id"), a.getString("gateway"),
            a.getString("profile"), a.getString("status"), a.getJsonArray("invariants").encode());
        a.getJsonArray("timeline").forEach(t -> out.printf("  %s  %-13s %s%n", ((JsonObject) t).getString("at"),
            ((JsonObject) t).getString("side"), ((JsonObject) t).getString("what")));
      }
    }
    out.printf("%nPASSED: %s%s%n", report.getBoolean("passed") ? "yes" : "NO",
        options.report() == null ? "" : " (report: " + options.report() + ")");
    out.flush();
    return report.getBoolean("passed") ? 0 : 1;
  }

  /** Per node what it ran and did, and each node event with how long the cluster took to absorb it. */
  private void printCluster(JsonObject cluster) {
    if (cluster == null) {
      return;
    }
    out.printf("%-30s %d nodes behind %s, connections per node port %s (logs: %s)%n", "cluster",
        cluster.getJsonArray("nodes").size(), cluster.getJsonObject("balancer").getString("url"),
        cluster.getJsonObject("balancer").getJsonObject("connections").encode(), cluster.getString("logs"));
    for (Object o : cluster.getJsonArray("nodes")) {
      JsonObject n = (JsonObject) o;
      JsonObject t = n.getJsonObject("totals");
      out.printf("  node %d %-38s %d process(es), heartbeats %.0f, transitions %.0f, reconcile ticks %.0f, outage graces %.0f, "
          + "event-loop lag worst %.0f ms, %.0f of %.0f probes over 100 ms late (after joining: %.0f of %.0f), "
          + "longest reconcile tick %.0f ms%n",
          n.getInteger("node"), n.getString("verticles"), n.getJsonArray("incarnations").size(),
          t.getDouble("heartbeats_accepted", 0.0), t.getDouble("lifecycle_transitions", 0.0), t.getDouble("reconcile_ticks", 0.0),
          t.getDouble("outage_graces", 0.0), t.getDouble("eventloop_lag_max_ms", 0.0), t.getDouble("eventloop_late_over_100ms", 0.0),
          t.getDouble("eventloop_probes", 0.0), n.getJsonObject("totals_after_join").getDouble("eventloop_late_over_100ms", 0.0),
          n.getJsonObject("totals_after_join").getDouble("eventloop_probes", 0.0), t.getDouble("reconcile_tick_max_ms", 0.0));
    }
    for (Object o : cluster.getJsonArray("events")) {
      JsonObject e = (JsonObject) o;
      JsonObject rest = e.copy();
      rest.remove("what");
      rest.remove("node");
      rest.remove("at");
      int node = e.getInteger("node");
      out.printf("  %s%s at %s: %s%n", e.getString("what"), node == 0 ? "" : " node " + node, e.getString("at"), rest.encode());
    }
  }

  private static String triple(JsonObject p) {
    return p.getValue("p50") + " / " + p.getValue("p99") + " / " + p.getValue("max");
  }

  static JsonObject percentiles(List<Long> values) {
    if (values.isEmpty()) {
      return new JsonObject().put("p50", null).put("p99", null).put("max", null).put("n", 0);
    }
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return new JsonObject().put("p50", sorted.get(sorted.size() / 2))
        .put("p99", sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1)))
        .put("max", sorted.get(sorted.size() - 1)).put("n", sorted.size());
  }

  private static final class Invariant {
    int violations;
    final List<String> examples = new ArrayList<>();
    /** The agents that broke it, in the order found: the report explains the first of them. */
    final Set<String> agents = new java.util.LinkedHashSet<>();

    /** @param agent the agent's name, or null when the violation is not one agent's (a task's) */
    void violate(String agent, String what) {
      violations++;
      if (agent != null) {
        agents.add(agent);
      }
      if (examples.size() < 5) {
        examples.add(agent == null ? what : agent + ": " + what);
      }
    }

    JsonObject toJson() {
      return new JsonObject().put("holds", violations == 0).put("violations", violations).put("examples", new JsonArray(examples));
    }
  }

  private record AgentRow(String id, String name, String status, String reason, String provisionError, int wakeAttempts,
                          Instant createdAt, Instant statusChangedAt, Instant registeredAt, Instant updatedAt,
                          Instant checkinDeadline, boolean liveTask, Instant suspectSince, Instant recoveryAt,
                          long provisionEpoch) {
    /**
     * The control plane is doing something about an instance of {@code epoch} that it cannot hear: the
     * agent is suspect (a verdict is coming), offline with a recovery time, or already being replaced
     * by a newer epoch.
     */
    boolean recoveryUnderWay(long epoch) {
      return suspectSince != null || provisionEpoch > epoch || ("offline".equals(status) && recoveryAt != null)
          || "provisioning".equals(status) || "waking".equals(status);
    }
  }

  private static Instant instant(Row r, String column) {
    var t = r.getOffsetDateTime(column);
    return t == null ? null : t.toInstant();
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("query failed: " + e.getMessage(), e);
    }
  }
}
