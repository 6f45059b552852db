package dev.rollcall.app;

import dev.rollcall.core.config.Durations;
import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.embedded.EmbeddedServers;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code chaos --nodes N}: the control plane as N separate {@code serve --cluster} processes (real
 * Hazelcast over 127.0.0.1, modules spread as {@link ClusterPlan#verticles}), the gateway simulator in a
 * process of its own, and one PostgreSQL and one Redis (embedded unless configured), started by this
 * process, the driver. The agents and the operator reach the nodes that run heartbeat through
 * {@link ChaosBalancer}, as a real fleet reaches its control plane through a load balancer.
 *
 * <p>The driver plays the node events ({@code --kill-node}, {@code --restart-node}, {@code
 * --rolling-restart}) on a thread of its own, and records for each how long the cluster took to absorb
 * it: until the survivors saw the membership change, until each surviving reconciler started its outage
 * grace, and until every healthy agent cut off heartbeated again. It scrapes every node's metrics every
 * 2 s, so that a killed node's last figures are kept.
 *
 * <p>Blocking waits are fine here: this is the chaos command's own thread and threads, never an event loop.
 */
final class ChaosCluster implements ChaosRun.Stack, AutoCloseable {
  /** Each child JVM's heap: four JVMs, PostgreSQL and Redis share the machine. */
  static final String CHILD_HEAP = "-Xmx512m";
  /** How long a process may take to answer /health/ready (a JVM start and a Hazelcast join). */
  static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(2);
  /**
   * What the jar's manifest opens for {@code java -jar} (app/pom.xml: Hazelcast's and Netty's needs), given
   * on the command line: a child starts with {@code -cp}, where the manifest's Add-Opens do not apply.
   */
  static final List<String> OPENS = List.of("--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens=java.management/sun.management=ALL-UNNAMED", "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
      "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED");
  /**
   * How long a reconciler's claim on a due item lasts in a cluster run: longer than the provisioner
   * command's timeout (bus + 2 x gateway, 4 s with the fast profile), so that a live reconciler's claim
   * never lapses under it, and short enough that a killed one's come back within the run.
   */
  static final Duration CLAIM_VISIBILITY = Duration.ofSeconds(6);

  private final Node driver;
  private final ClusterPlan plan;
  private final PrintWriter out;
  private final Path logs;
  private final String adminToken;
  private final List<ChildProcess> nodes = new ArrayList<>();
  private final ChildProcess sim;
  private final ChaosBalancer balancer;
  private final OperatorApi operator;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final List<JsonObject> events = Collections.synchronizedList(new ArrayList<>());
  private final ScheduledExecutorService scraper = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "chaos-scrape"));
  private final ExecutorService player = Executors.newSingleThreadExecutor(r -> new Thread(r, "chaos-node-events"));
  /** When each node was lost (killed, or stopped for a rolling restart), in order. */
  private final List<Instant> losses = new java.util.concurrent.CopyOnWriteArrayList<>();
  private Future<?> playing;
  /** The cluster-only timings every node got (the scenario's bounds use them). */
  private final Duration claimVisibility;
  private final Duration outageGrace;
  /** Kills the processes if this JVM stops first: a run stopped with Ctrl-C must not leave its nodes running. */
  private final Thread stopChildren = new Thread(this::killChildren, "chaos-stop-children");

  private ChaosCluster(Node driver, ClusterPlan plan, PrintWriter out, Path logs, ChildProcess sim, ChaosBalancer balancer,
                       Duration claimVisibility, Duration outageGrace) {
    this.driver = driver;
    this.claimVisibility = claimVisibility;
    this.outageGrace = outageGrace;
    this.plan = plan;
    this.out = out;
    this.logs = logs;
    this.adminToken = driver.context().config().adminToken().orElseThrow();
    this.sim = sim;
    this.balancer = balancer;
    this.operator = new OperatorApi(adminToken);
    Runtime.getRuntime().addShutdownHook(stopChildren);
  }

  private void killChildren() {
    for (ChildProcess n : nodes) {
      n.kill();
    }
    sim.kill();
  }

  /**
   * Starts the servers (through a driver node with no modules: it brings the embedded servers, runs the
   * migrations once, and gives the report its pool), the simulator, node 1, then the other nodes, and
   * waits until every node is ready and sees all N members.
   *
   * @param env the variables the run's config was loaded from (the servers, when configured)
   * @param settings the run's settings; every node and the simulator get them as {@code ROLLCALL_*} variables
   * @param report the report file, or null: the processes' logs go beside it ({@code report.json.logs/}), else
   *     to a new temporary directory; either way they are kept for the diagnosis
   */
  static ChaosCluster start(Map<String, String> env, Map<Setting, String> settings, ClusterPlan plan, long seed, Path report,
                            PrintWriter out) throws IOException {
    Map<Setting, String> driverSettings = new EnumMap<>(settings);
    driverSettings.put(Setting.HTTP_PORT, String.valueOf(EmbeddedServers.freePort()));
    Node driver = Node.start(RollcallConfig.load(env, Optional.empty()).with(driverSettings), Node.Mode.DEV, List.of());
    ChaosCluster cluster = null;
    try {
      RollcallConfig base = driver.context().config();
      Path logs = report == null ? Files.createTempDirectory("rollcall-chaos-")
          : Files.createDirectories(report.toAbsolutePath().resolveSibling(report.getFileName() + ".logs"));
      Map<Setting, String> shared = new EnumMap<>(settings);
      shared.put(Setting.PG_URL, base.pgUrl().orElseThrow());
      shared.put(Setting.REDIS_URL, base.redisUrl().orElseThrow());
      shared.put(Setting.ADMIN_TOKEN, base.adminToken().orElseThrow());
      shared.put(Setting.HTTP_HOST, "127.0.0.1");
      shared.putIfAbsent(Setting.CLAIM_VISIBILITY, Durations.format(CLAIM_VISIBILITY));
      // A node's loss is the control plane's own outage: the agents it served get a lease to come back
      // through the balancer, counted from when the survivors see the loss.
      shared.putIfAbsent(Setting.OUTAGE_GRACE, Durations.format(outageGraceFor(base)));

      int[] hazelcastPorts = new int[plan.nodes()];
      List<String> members = new ArrayList<>();
      for (int n = 0; n < plan.nodes(); n++) {
        hazelcastPorts[n] = EmbeddedServers.freePort();
        members.add("127.0.0.1:" + hazelcastPorts[n]);
      }
      List<Integer> agentFacing = new ArrayList<>();
      List<Integer> httpPorts = new ArrayList<>();
      for (int n = 1; n <= plan.nodes(); n++) {
        int port = EmbeddedServers.freePort();
        httpPorts.add(port);
        if (ClusterPlan.verticles(n).contains("heartbeat")) {
          agentFacing.add(port);
        }
      }
      ChaosBalancer balancer = ChaosBalancer.listen(driver.vertx(), agentFacing);

      Map<Setting, String> simSettings = new EnumMap<>(shared);
      int simPort = EmbeddedServers.freePort();
      simSettings.put(Setting.HTTP_PORT, String.valueOf(EmbeddedServers.freePort()));
      simSettings.put(Setting.SIM_HOST, "127.0.0.1");
      simSettings.put(Setting.SIM_PORT, String.valueOf(simPort));
      ChildProcess sim = new ChildProcess("sim", 0, "gateway-sim", Integer.parseInt(simSettings.get(Setting.HTTP_PORT)),
          List.of("serve", "--verticles", "gateway-sim", "--sim-seed", String.valueOf(seed)), env(simSettings),
          logs.resolve("sim.log"), "http://127.0.0.1:" + simPort);
      cluster = new ChaosCluster(driver, plan, out, logs, sim, balancer, Durations.parse(shared.get(Setting.CLAIM_VISIBILITY)),
          Durations.parse(shared.get(Setting.OUTAGE_GRACE)));

      String clusterName = "rollcall-chaos-" + UUID.randomUUID();
      for (int n = 1; n <= plan.nodes(); n++) {
        Map<Setting, String> mine = new EnumMap<>(shared);
        mine.put(Setting.HTTP_PORT, String.valueOf(httpPorts.get(n - 1)));
        mine.put(Setting.CLUSTER_HOST, "127.0.0.1");
        mine.put(Setting.CLUSTER_PORT, String.valueOf(hazelcastPorts[n - 1]));
        mine.put(Setting.CLUSTER_MEMBERS, String.join(",", members));
        mine.put(Setting.CLUSTER_NAME, clusterName);
        // Every agent and the operator go through the balancer: the URL a provisioner hands out.
        mine.put(Setting.PUBLIC_URL, balancer.url());
        cluster.nodes.add(new ChildProcess("node-" + n, n, ClusterPlan.verticles(n), httpPorts.get(n - 1),
            List.of("serve", "--cluster", "--verticles", ClusterPlan.verticles(n)), env(mine), logs.resolve("node-" + n + ".log"), null));
      }
      out.printf("chaos: %d nodes, their logs in %s%n", plan.nodes(), logs);
      out.flush();
      cluster.startAll();
      return cluster;
    } catch (RuntimeException | IOException e) {
      if (cluster != null) {
        cluster.close();
      } else {
        driver.close();
      }
      throw e;
    }
  }

  /** The grace a run gives after a node loss: a lease and a suspicion window, at least 5 s. */
  static Duration outageGraceFor(RollcallConfig config) {
    Duration leaseAndSuspicion = config.leaseTtl().plus(config.suspicionWindow());
    return leaseAndSuspicion.compareTo(Duration.ofSeconds(5)) > 0 ? leaseAndSuspicion : Duration.ofSeconds(5);
  }

  private static Map<String, String> env(Map<Setting, String> settings) {
    Map<String, String> env = new LinkedHashMap<>();
    settings.forEach((s, v) -> env.put(s.env(), v));
    return env;
  }

  private void startAll() {
    Instant t0 = Instant.now();
    sim.start();
    nodes.get(0).start();
    sim.awaitReady(http);
    nodes.get(0).awaitReady(http);
    // The others once the first is up: they join one cluster instead of forming several (docker-compose.yml does the same).
    for (ChildProcess node : nodes.subList(1, nodes.size())) {
      node.start();
    }
    for (ChildProcess node : nodes) {
      node.awaitReady(http);
    }
    for (ChildProcess node : nodes) {
      awaitMembers(node, nodes.size(), READY_TIMEOUT);
    }
    nodes.forEach(this::markJoined);
    event("cluster_started", 0, t0, new JsonObject().put("ms", Duration.between(t0, Instant.now()).toMillis()));
    scraper.scheduleWithFixedDelay(this::scrapeAll, 0, SCRAPE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public RollcallConfig config() {
    // The config the nodes share, as far as the scenario reads it: timings and the admin token.
    return driver.context().config().with(Map.of(Setting.CLAIM_VISIBILITY, Durations.format(claimVisibility),
        Setting.OUTAGE_GRACE, Durations.format(outageGrace)));
  }

  @Override
  public String api() {
    return balancer.url();
  }

  @Override
  public String simUrl() {
    return sim.publicUrl;
  }

  @Override
  public Pool pool() {
    return driver.context().pool();
  }

  @Override
  public SchedulingLag lag() {
    return driver.schedulingLag();
  }

  @Override
  public List<Instant> nodeLosses() {
    return List.copyOf(losses);
  }

  @Override
  public Duration nodeLossSlack() {
    if (plan.kill() == null && plan.rollingRestartAt() == null) {
      return Duration.ZERO;
    }
    return claimVisibility.plusSeconds(ClusterConfigs.MAX_NO_HEARTBEAT_SECONDS).plus(outageGrace);
  }

  @Override
  public void startNodeEvents() {
    Instant phase = Instant.now();
    record Step(Duration at, Runnable run) {
    }
    List<Step> steps = new ArrayList<>();
    if (plan.kill() != null) {
      ChildProcess victim = nodes.get(plan.kill().node() - 1);
      steps.add(new Step(plan.kill().at(), () -> kill(victim)));
      if (plan.restartAt() != null) {
        steps.add(new Step(plan.restartAt(), () -> restart(victim)));
      }
    }
    if (plan.rollingRestartAt() != null) {
      steps.add(new Step(plan.rollingRestartAt(), this::rollingRestart));
    }
    steps.sort(java.util.Comparator.comparing(Step::at));
    playing = player.submit(() -> {
      for (Step step : steps) {
        long wait = Duration.between(Instant.now(), phase.plus(step.at())).toMillis();
        if (wait > 0) {
          TimeUnit.MILLISECONDS.sleep(wait);
        }
        step.run().run();
      }
      return null;
    });
  }

  @Override
  public void awaitNodeEvents() {
    if (playing == null) {
      return;
    }
    try {
      playing.get(10, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException("a node event failed: " + e.getMessage(), e);
    }
  }

  /** SIGKILL: no goodbye, no drain; then how long the others take to absorb the loss. */
  private void kill(ChildProcess victim) {
    Instant at = Instant.now();
    losses.add(at);
    // Take the victim's last figures first: its counters die with it.
    scrape(victim);
    victim.kill();
    out.printf("chaos: killed node %d (%s) with SIGKILL%n", victim.index, victim.verticles);
    out.flush();
    event("killed", victim.index, at, absorbed(victim, at));
  }

  private void restart(ChildProcess node) {
    Instant at = Instant.now();
    node.start();
    node.awaitReady(http);
    awaitMembers(node, nodes.size(), READY_TIMEOUT);
    markJoined(node);
    out.printf("chaos: node %d is back%n", node.index);
    out.flush();
    event("restarted", node.index, at, new JsonObject().put("ready_ms", Duration.between(at, Instant.now()).toMillis()));
  }

  /** Every running node in turn: SIGTERM (an orderly stop), start again, ready and rejoined, then the next. */
  private void rollingRestart() {
    for (ChildProcess node : nodes) {
      if (!node.alive()) {
        continue;
      }
      Instant at = Instant.now();
      losses.add(at);
      scrape(node);
      node.stop();
      JsonObject detail = new JsonObject().put("stopped_ms", Duration.between(at, Instant.now()).toMillis());
      node.start();
      node.awaitReady(http);
      for (ChildProcess other : nodes) {
        if (other.alive()) {
          awaitMembers(other, (int) nodes.stream().filter(ChildProcess::alive).count(), READY_TIMEOUT);
        }
      }
      markJoined(node);
      detail.put("ready_ms", Duration.between(at, Instant.now()).toMillis());
      out.printf("chaos: rolling restart: node %d restarted in %d ms%n", node.index, detail.getLong("ready_ms"));
      out.flush();
      event("rolling_restart", node.index, at, detail);
    }
  }

  /**
   * How long the survivors took to absorb a loss: until each saw one member fewer, until each surviving
   * reconciler had started an outage grace for it, and until every healthy agent whose instance was
   * heartbeating at the loss heartbeated again (through the balancer, on a survivor). Gives up after a
   * minute and says which did not happen.
   */
  private JsonObject absorbed(ChildProcess victim, Instant lostAt) {
    List<ChildProcess> survivors = nodes.stream().filter(n -> n != victim && n.alive()).toList();
    Map<ChildProcess, Double> gracesBefore = new HashMap<>();
    survivors.forEach(n -> gracesBefore.put(n, n.lastMetrics.getDouble("outage_graces_cluster_member_lost", 0.0)));
    Instant aliveBefore = lostAt.minus(driver.context().config().heartbeatInterval().multipliedBy(2));
    // Heard lately before the loss: the agents it can cut off. (None when the simulator does not answer.)
    java.util.Set<String> cutOff = healthyHeardSince(aliveBefore).orElse(java.util.Set.of());
    JsonObject membership = new JsonObject();
    JsonObject graces = new JsonObject();
    Long agentsBack = null;
    Instant giveUp = lostAt.plusSeconds(60);
    while (Instant.now().isBefore(giveUp)
        && (membership.size() < survivors.size() || graces.size() < reconcilers(survivors) || agentsBack == null)) {
      for (ChildProcess n : survivors) {
        String key = "node-" + n.index;
        if (!membership.containsKey(key) && members(n) == survivors.size()) {
          membership.put(key, Duration.between(lostAt, Instant.now()).toMillis());
        }
        if (n.verticles.contains("reconciler") && !graces.containsKey(key)) {
          JsonObject m = scrape(n);
          if (m != null && m.getDouble("outage_graces_cluster_member_lost", 0.0) > gracesBefore.get(n)) {
            graces.put(key, Duration.between(lostAt, Instant.now()).toMillis());
          }
        }
      }
      if (agentsBack == null && healthyHeardSince(lostAt).map(heard -> heard.containsAll(cutOff)).orElse(false)) {
        agentsBack = Duration.between(lostAt, Instant.now()).toMillis();
      }
      sleep(Duration.ofMillis(250));
    }
    return new JsonObject().put("membership_ms", membership).put("outage_grace_ms", graces)
        .put("healthy_agents_cut_off", cutOff.size()).put("agents_back_ms", agentsBack)
        .put("absorbed", membership.size() == survivors.size() && graces.size() == reconcilers(survivors) && agentsBack != null);
  }

  private static int reconcilers(List<ChildProcess> nodes) {
    return (int) nodes.stream().filter(n -> n.verticles.contains("reconciler")).count();
  }

  /**
   * The healthy agents (the profile that never goes silent by itself) whose registered, running instance
   * had a heartbeat accepted after {@code since}, by the simulator's account; empty when it does not answer.
   */
  private Optional<java.util.Set<String>> healthyHeardSince(Instant since) {
    JsonObject state;
    try {
      state = operator.call("GET", sim.publicUrl + "/sim/state", null, 200);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    java.util.Set<String> names = new java.util.HashSet<>();
    for (Object o : state.getJsonArray("agents")) {
      JsonObject a = (JsonObject) o;
      if (!"healthy".equals(a.getString("profile"))) {
        continue;
      }
      for (Object io : a.getJsonArray("instances")) {
        JsonObject i = (JsonObject) io;
        if (!i.getBoolean("stopped") && i.getBoolean("registered") && i.getString("lastOkAt") != null
            && Instant.parse(i.getString("lastOkAt")).isAfter(since)) {
          names.add(a.getString("name"));
        }
      }
    }
    return Optional.of(names);
  }

  /** Members node {@code n} sees, from its readiness check; -1 when it does not answer. */
  private int members(ChildProcess n) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(n.url() + "/health/ready"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      for (Object o : new JsonObject(r.body()).getJsonArray("checks", new JsonArray())) {
        JsonObject check = (JsonObject) o;
        if ("cluster".equals(check.getString("id"))) {
          return check.getJsonObject("data", new JsonObject()).getInteger("members", -1);
        }
      }
      return -1;
    } catch (IOException | RuntimeException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private void awaitMembers(ChildProcess n, int expected, Duration timeout) {
    Instant giveUp = Instant.now().plus(timeout);
    while (members(n) != expected) {
      if (Instant.now().isAfter(giveUp)) {
        throw new IllegalStateException("node " + n.index + " does not see " + expected + " cluster members after "
            + Durations.format(timeout) + " (it sees " + members(n) + "); its log: " + n.log);
      }
      sleep(Duration.ofMillis(200));
    }
  }

  /**
   * The figures as the process joined: a start (JIT, the Hazelcast join, several JVMs starting on the same
   * cores) stalls event loops in a way the run proper does not, so the report also gives what came after.
   */
  private void markJoined(ChildProcess n) {
    JsonObject figures = scrape(n);
    n.joined(figures == null ? new JsonObject() : figures.copy());
  }

  private void scrapeAll() {
    for (ChildProcess n : nodes) {
      if (n.alive()) {
        scrape(n);
      }
    }
  }

  /** The node's figures now, kept as its incarnation's latest; null when it does not answer. */
  private JsonObject scrape(ChildProcess n) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(n.url() + "/metrics"))
          .header("Authorization", "Bearer " + adminToken).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return null;
      }
      JsonObject figures = NodeFigures.of(r.body());
      // A largest-value figure decays in Micrometer's window: keep the incarnation's worst across scrapes.
      JsonObject before = n.lastMetrics;
      NodeFigures.LARGEST.keySet().forEach(k -> figures.put(k, Math.max(figures.getDouble(k, 0.0), before.getDouble(k, 0.0))));
      n.lastMetrics = figures;
      return figures;
    } catch (IOException | RuntimeException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private void event(String what, int node, Instant at, JsonObject detail) {
    events.add(new JsonObject().put("what", what).put("node", node).put("at", at.toString()).mergeIn(detail));
  }

  @Override
  public JsonObject nodesReport() {
    scrapeAll();
    JsonArray perNode = new JsonArray();
    for (ChildProcess n : nodes) {
      perNode.add(n.toJson());
    }
    return new JsonObject().put("nodes", perNode).put("simulator", sim.toJson()).put("events", new JsonArray(new ArrayList<>(events)))
        .put("balancer", balancer.toJson()).put("logs", logs.toString());
  }

  @Override
  public void close() {
    scraper.shutdownNow();
    player.shutdownNow();
    killChildren();
    try {
      Runtime.getRuntime().removeShutdownHook(stopChildren);
    } catch (IllegalStateException e) {
      // the JVM is already stopping: the hook runs (or ran) anyway
    }
    driver.close();
  }

  private static void sleep(Duration d) {
    try {
      TimeUnit.MILLISECONDS.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * One {@code rollcall serve} process, started again on the same ports after a kill or stop; each start
   * is an incarnation with its own pid and figures (counters begin at 0 in each).
   */
  static final class ChildProcess {
    final String name;
    final int index;
    final String verticles;
    final int httpPort;
    final List<String> args;
    final Map<String, String> env;
    final Path log;
    final String publicUrl;
    private Process process;
    private final List<JsonObject> incarnations = new ArrayList<>();
    private JsonObject current;
    volatile JsonObject lastMetrics = new JsonObject();

    ChildProcess(String name, int index, String verticles, int httpPort, List<String> args, Map<String, String> env, Path log,
                 String publicUrl) {
      this.name = name;
      this.index = index;
      this.verticles = verticles;
      this.httpPort = httpPort;
      this.args = args;
      this.env = env;
      this.log = log;
      this.publicUrl = publicUrl;
    }

    String url() {
      return "http://127.0.0.1:" + httpPort;
    }

    /** This JVM's java and class path, so that a test run and the packaged jar start the same code. */
    synchronized void start() {
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), CHILD_HEAP));
      command.addAll(OPENS);
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
      command.addAll(args);
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      pb.environment().putAll(env);
      try {
        process = pb.start();
      } catch (IOException e) {
        throw new IllegalStateException("could not start " + name + ": " + e.getMessage(), e);
      }
      closeIncarnation(null);
      current = new JsonObject().put("pid", process.pid()).put("started", Instant.now().toString());
      lastMetrics = new JsonObject();
      incarnations.add(current);
    }

    synchronized void joined(JsonObject figures) {
      current.put("figures_at_join", figures);
    }

    synchronized boolean alive() {
      return process != null && process.isAlive();
    }

    /** SIGKILL (destroyForcibly on Unix), and wait for the exit. */
    synchronized void kill() {
      end(true, "killed (SIGKILL)");
    }

    /** SIGTERM: the node's shutdown hook stops it in order. */
    synchronized void stop() {
      end(false, "stopped (SIGTERM)");
    }

    private void end(boolean force, String how) {
      if (process == null || !process.isAlive()) {
        return;
      }
      if (force) {
        process.destroyForcibly();
      } else {
        process.destroy();
      }
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      closeIncarnation(how);
    }

    private void closeIncarnation(String how) {
      if (current != null && !current.containsKey("ended")) {
        current.put("ended", Instant.now().toString()).put("how", how == null ? "replaced" : how).put("figures", lastMetrics.copy());
      }
    }

    /** Waits for 200 from /health/ready, failing with the log's last lines if the process dies or times out. */
    void awaitReady(HttpClient http) {
      Instant startedAt = Instant.now();
      Instant giveUp = startedAt.plus(READY_TIMEOUT);
      while (true) {
        if (!alive()) {
          throw new IllegalStateException(name + " exited while starting; the end of its log (" + log + "):\n" + tail());
        }
        try {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/health/ready"))
              .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200) {
            synchronized (this) {
              current.put("ready_ms", Duration.between(startedAt, Instant.now()).toMillis());
            }
            return;
          }
        } catch (IOException e) {
          // not listening yet
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
        if (Instant.now().isAfter(giveUp)) {
          throw new IllegalStateException(name + " not ready after " + Durations.format(READY_TIMEOUT) + "; the end of its log ("
              + log + "):\n" + tail());
        }
        sleep(Duration.ofMillis(200));
      }
    }

    private String tail() {
      try {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
      } catch (IOException e) {
        return "(unreadable: " + e.getMessage() + ")";
      }
    }

    /** Its modules, ports and every incarnation with its figures; the running one's figures as last scraped. */
    synchronized JsonObject toJson() {
      JsonArray all = new JsonArray();
      for (JsonObject i : incarnations) {
        JsonObject copy = i.copy();
        if (!copy.containsKey("ended")) {
          copy.put("figures", lastMetrics.copy());
        }
        all.add(copy);
      }
      return new JsonObject().put("node", index).put("name", name).put("verticles", verticles).put("http_port", httpPort)
          .put("running", alive()).put("incarnations", all).put("totals", NodeFigures.sum(all))
          .put("totals_after_join", NodeFigures.sinceJoin(all));
    }
  }
}
