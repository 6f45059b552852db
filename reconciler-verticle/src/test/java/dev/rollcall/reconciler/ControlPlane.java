package dev.rollcall.reconciler;

import static dev.rollcall.core.testing.TestNode.ADMIN;
import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.config.FastSettings;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.node.RollcallModule;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.LifecycleEventRecord;
import dev.rollcall.core.testing.JumpClock;
import dev.rollcall.core.testing.TestGateway;
import dev.rollcall.core.testing.TestHttp;
import dev.rollcall.core.testing.TestNode;
import dev.rollcall.heartbeat.HeartbeatModule;
import dev.rollcall.provisioner.ProvisionerModule;
import dev.rollcall.token.TokenModule;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * The whole control plane on one test node (token, heartbeat, provisioner, reconciler) against the
 * shared PostgreSQL and Redis, with real HTTP gateways, and simulated agents that register and heartbeat
 * over real HTTP from test threads. Timeouts are {@link FastSettings#profile()}, shortened further so
 * that seed 01's escalation plays out in about a second per step: check-in deadline 1 s, heartbeats
 * every 300 ms (lease 900 ms), suspicion 1 s.
 *
 * <p>Time is real (the loops converge by themselves) on a {@link JumpClock}: a test that must show that
 * something does not happen over some time moves the clock with {@link #advance} instead of waiting.
 */
final class ControlPlane implements AutoCloseable {
  static final Duration HEARTBEAT = Duration.ofMillis(300);

  final TestNode node;
  final JumpClock clock;
  private final ReconcilerModule reconciler;
  final List<TestGateway> gateways = new ArrayList<>();
  final List<String> gatewayIds = new ArrayList<>();
  private final List<TestNode> extraNodes = new ArrayList<>();
  private final List<SimAgent> agents = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final ScheduledExecutorService agentThreads = Executors.newScheduledThreadPool(4);

  private ControlPlane(TestNode node, JumpClock clock, ReconcilerModule reconciler) {
    this.node = node;
    this.clock = clock;
    this.reconciler = reconciler;
  }

  /**
   * {@link FastSettings#profile()} with this suite's deliberate differences: every seed window about
   * half the chaos run's (so a test's escalation takes seconds), the loops twice as often, an outbox
   * claim short enough to lapse within a test, and three wakes spelt out (seed 01's count, asserted).
   */
  static Map<Setting, String> fastSettings() {
    Map<Setting, String> s = FastSettings.profile();
    s.putAll(Map.of(Setting.CHECKIN_DEADLINE, "1s", Setting.MAX_WAKE_ATTEMPTS, "3", Setting.MAX_TRANSITION, "1s",
        Setting.HEARTBEAT_INTERVAL, HEARTBEAT.toMillis() + "ms", Setting.SUSPICION_WINDOW, "1s", Setting.OUTAGE_GRACE, "500ms",
        Setting.GATEWAY_TIMEOUT, "400ms", Setting.BUS_TIMEOUT, "1s", Setting.CLAIM_VISIBILITY, "2s"));
    s.putAll(Map.of(Setting.RECONCILE_INTERVAL, "50ms", Setting.FLEET_SAMPLE_INTERVAL, "100ms", Setting.SWEEP_INTERVAL, "1s"));
    return s;
  }

  /** A fresh control plane: the database's agents tombstoned and Redis emptied first, so tests do not see each other. */
  static ControlPlane start(Map<Setting, String> overrides, int gatewayCount) {
    Map<Setting, String> settings = fastSettings();
    settings.putAll(overrides);
    JumpClock clock = new JumpClock();
    ReconcilerModule reconciler = new ReconcilerModule();
    TestNode node = TestNode.start(clock, settings,
        List.of(new TokenModule(), new HeartbeatModule(), new ProvisionerModule(), reconciler));
    await(node.context().pool().query("UPDATE agents SET lifecycle_status = 'deleted' WHERE lifecycle_status <> 'deleted'").execute());
    await(node.context().pool().query("UPDATE gateways SET unreachable_since = NULL").execute());
    await(node.context().redis().send(Request.cmd(Command.FLUSHDB)));
    ControlPlane plane = new ControlPlane(node, clock, reconciler);
    for (int i = 0; i < gatewayCount; i++) {
      plane.addGateway();
    }
    return plane;
  }

  /**
   * A second node with its own reconciler, provisioner and token modules on its own (unclustered) event
   * bus, sharing PostgreSQL and Redis: two reconcilers on one due queue, as on two machines.
   */
  TestNode startSecondNode(Map<Setting, String> overrides) {
    Map<Setting, String> settings = fastSettings();
    settings.putAll(overrides);
    TestNode extra = TestNode.start(clock, settings,
        List.<RollcallModule>of(new TokenModule(), new ProvisionerModule(), new ReconcilerModule()));
    extraNodes.add(extra);
    return extra;
  }

  private void addGateway() {
    TestGateway gateway = new TestGateway();
    TestHttp.Response created = node.http().post("/api/v1/gateways",
        new JsonObject().put("name", "gw-" + UUID.randomUUID()).put("baseUrl", gateway.url()).put("templateVersion", 1).encode(), ADMIN);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    gateways.add(gateway);
    gatewayIds.add(created.json().getString("id"));
  }

  /** Creates an agent through the operator API (it is provisioned and woken at once). */
  UUID createAgent(int gateway, String name) {
    TestHttp.Response created = node.http().post("/api/v1/agents",
        new JsonObject().put("gatewayId", gatewayIds.get(gateway)).put("name", name).encode(), ADMIN);
    assertThat(created.status()).as(created.body()).isEqualTo(202);
    return UUID.fromString(created.json().getJsonObject("agent").getString("id"));
  }

  /** How many wakes the agent's gateway received for it. */
  long wakes(int gateway, UUID agentId) {
    return gateways.get(gateway).calls("wake").stream().filter(c -> c.agentId().equals(agentId.toString())).count();
  }

  long provisions(int gateway, UUID agentId) {
    return gateways.get(gateway).calls("provision").stream().filter(c -> c.agentId().equals(agentId.toString())).count();
  }

  /** Starts a simulated agent: registers with the ticket its gateway got last, then heartbeats "ready". */
  SimAgent startAgent(int gateway, UUID agentId) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> provisions(gateway, agentId) > 0);
    List<TestGateway.Call> provisions = gateways.get(gateway).calls("provision").stream()
        .filter(c -> c.agentId().equals(agentId.toString())).toList();
    String ticket = provisions.get(provisions.size() - 1).body().getString("bootstrapTicket");
    TestHttp.Response registered = node.http().post("/api/v1/agents/" + agentId + "/register",
        new JsonObject().put("ticket", ticket).put("instanceId", "sim-" + agentId).encode(), Map.of());
    assertThat(registered.status()).as(registered.body()).isEqualTo(200);
    SimAgent agent = new SimAgent(agentId, registered.json().getString("credential"));
    agents.add(agent);
    agent.resume();
    return agent;
  }

  /**
   * Moves the clock ahead by {@code by} instead of waiting that long, and returns once the reconciler
   * has decided everything that came due meanwhile. Coherent for running agents: the clock moves in
   * steps of half a heartbeat interval, after each of which every running agent
   * heartbeats (all at once, so no agent's heartbeat waits for another's) and the reconciler ticks, so a
   * running agent is as live as it would have been over that time and a silent one as silent. At the
   * end a sweep and a tick run at the final time. The periodic loops keep running meanwhile.
   */
  void advance(Duration by) {
    List<SimAgent> running = agents.stream().filter(SimAgent::running).toList();
    // Their loops pause while the steps send their heartbeats: the intake's rate limit counts real time.
    running.forEach(SimAgent::stop);
    try {
      // A running agent's lease lapses if one step plus the real time of one round (heartbeats and a
      // tick) outlasts the lease: half an interval leaves 750 ms of the 900 ms lease for the round, more
      // than an agent's own loop leaves (600 ms). With 1.5 intervals (450 ms) a round on a busy machine
      // outlasted what was left and a steady agent was marked suspect.
      Duration step = HEARTBEAT.dividedBy(2);
      for (Duration left = by; !left.isZero(); ) {
        Duration now = left.compareTo(step) < 0 ? left : step;
        clock.advance(now);
        left = left.minus(now);
        running.stream().map(a -> CompletableFuture.runAsync(a::heartbeatAccepted, agentThreads)).toList()
            .forEach(CompletableFuture::join);
        await(reconciler.verticle().runNow(ReconcilerVerticle.Loop.TICK));
      }
      await(reconciler.verticle().runNow(ReconcilerVerticle.Loop.SWEEP));
      await(reconciler.verticle().runNow(ReconcilerVerticle.Loop.TICK));
    } finally {
      running.forEach(SimAgent::resume);
    }
  }

  /** A running agent's heartbeat loop; stop it to make the agent go silent. */
  final class SimAgent {
    final UUID id;
    private final String credential;
    private volatile ScheduledFuture<?> loop;
    private volatile boolean running;

    private SimAgent(UUID id, String credential) {
      this.id = id;
      this.credential = credential;
    }

    TestHttp.Response heartbeat() {
      return node.http().post("/api/v1/agents/" + id + "/heartbeat",
          new JsonObject().put("status", "ready").put("templateVersion", 1).encode(), Map.of("X-Agent-Token", credential));
    }

    /** A heartbeat that the intake accepted; one the rate limit refused is sent again, as an agent would. */
    void heartbeatAccepted() {
      TestHttp.Response accepted = Awaitility.await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
          .until(this::heartbeat, r -> r.status() != 429);
      assertThat(accepted.status()).as(accepted.body()).isEqualTo(200);
    }

    boolean running() {
      return running;
    }

    void resume() {
      running = true;
      loop = agentThreads.scheduleAtFixedRate(() -> {
        try {
          heartbeat();
        } catch (RuntimeException e) {
          // a failed heartbeat is what a real agent lives with: it tries again next interval
        }
      }, 0, HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop() {
      running = false;
      loop.cancel(false);
    }
  }

  AgentRecord find(UUID agentId) {
    return await(node.context().agentRepository().find(agentId)).orElseThrow();
  }

  AgentRecord awaitStatus(UUID agentId, LifecycleStatus status, Duration atMost) {
    try {
      Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(25)).until(() -> find(agentId).status() == status);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("agent never became " + status.wireName() + ": " + find(agentId).toJson().encodePrettily()
          + "\nevents: " + events(agentId), e);
    }
    return find(agentId);
  }

  List<String> events(UUID agentId) {
    return await(node.context().agentRepository().events(agentId, 0, 1000)).stream().map(LifecycleEventRecord::name).toList();
  }

  double counter(String name, String tag, String value) {
    var counter = node.meters().find(name).tag(tag, value).counter();
    return counter == null ? 0 : counter.count();
  }

  @Override
  public void close() {
    agentThreads.shutdownNow();
    extraNodes.forEach(TestNode::close);
    node.close();
    gateways.forEach(TestGateway::close);
  }
}
