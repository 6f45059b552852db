package dev.rollcall.app;

import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.embedded.EmbeddedServers;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.node.RollcallModule;
import dev.rollcall.core.testing.TcpProxy;
import dev.rollcall.core.testing.TestServers;
import dev.rollcall.gatewaysim.GatewaySimModule;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three clustered nodes in one JVM (Hazelcast over 127.0.0.1, TCP-IP join), modules spread across them,
 * a simulated fleet provisioned through the operator API and heartbeating through a load balancer; the
 * node behind the balancer is lost without goodbye in the middle of provisioning. Every agent must
 * still converge to ready, no agent may run two instances of one epoch, and no agent may be judged
 * offline because the control plane lost a node.
 */
@org.junit.jupiter.api.extension.ExtendWith(dev.rollcall.core.testing.RealServersExtension.class)
class ClusterTest {
  private static final int AGENTS = 240;
  private static final int GATEWAYS = 3;
  private static final String ADMIN_TOKEN = "cluster-test-admin-token-0123";

  /** How long the load balancer takes to notice its backend died and fail over. */
  private static final Duration FAILOVER = Duration.ofSeconds(5);
  /** The outage grace: longer than the fail-over, and over (since each reconciler's start) before the loss. */
  private static final Duration GRACE = Duration.ofSeconds(8);

  private final List<Node> nodes = new ArrayList<>();
  private TcpProxy closeAfter;

  @AfterEach
  void stop() {
    nodes.forEach(Node::close);
    if (closeAfter != null) {
      closeAfter.close();
    }
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void losingANodeMidProvisioningLeavesEveryAgentReadyWithOneInstancePerEpochAndNoOfflineVerdict() throws Exception {
    TestServers servers = TestServers.get();
    int[] hazelcastPorts = {EmbeddedServers.freePort(), EmbeddedServers.freePort(), EmbeddedServers.freePort()};
    int doomedPort = EmbeddedServers.freePort();
    // The agents reach the control plane through a load balancer (a TCP proxy), first to the node that
    // will be lost; when it is, the balancer fails over to another node after its health-check delay.
    TcpProxy balancer = new TcpProxy("127.0.0.1", doomedPort);
    closeAfter = balancer;
    Map<Setting, String> shared = new EnumMap<>(ChaosRun.SHORT_TIMEOUTS);
    shared.put(Setting.PG_URL, servers.pgUrl());
    shared.put(Setting.REDIS_URL, servers.redisUrl());
    shared.put(Setting.ADMIN_TOKEN, ADMIN_TOKEN);
    shared.put(Setting.HTTP_HOST, "127.0.0.1");
    shared.put(Setting.HTTP_INSTANCES, "1");
    shared.put(Setting.CLUSTER_HOST, "127.0.0.1");
    shared.put(Setting.CLUSTER_NAME, "rollcall-test-" + UUID.randomUUID());
    shared.put(Setting.CLUSTER_MEMBERS, "127.0.0.1:" + hazelcastPorts[0] + ",127.0.0.1:" + hazelcastPorts[1] + ",127.0.0.1:" + hazelcastPorts[2]);
    shared.put(Setting.PUBLIC_URL, "http://127.0.0.1:" + balancer.port());
    // The balancer's fail-over (FAILOVER) outlasts a lease and the suspicion window (1.5 s + 2 s here):
    // only the outage grace a reconciler starts when it sees a member leave keeps the agents from being
    // judged offline for the control plane's own loss.
    shared.put(Setting.OUTAGE_GRACE, GRACE.toSeconds() + "s");
    shared.put(Setting.REGISTER_LIMIT_PER_SOURCE, String.valueOf(AGENTS * 20));
    // A claim of the lost node's reconciler comes back after this; a provision it left behind is taken over.
    shared.put(Setting.CLAIM_VISIBILITY, "3s");

    GatewaySimModule sim = new GatewaySimModule(11);
    Node operatorNode = start(shared, hazelcastPorts[0], 0, List.of("heartbeat", "token", "provisioner", "dashboard"), sim);
    Node doomed = start(shared, hazelcastPorts[1], doomedPort, List.of("heartbeat", "token", "provisioner", "reconciler"), null);
    Node survivor = start(shared, hazelcastPorts[2], 0, List.of("token", "provisioner", "reconciler"), null);
    long survivorStarted = System.nanoTime();
    String api = operatorNode.listeners().get(0).url();
    Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> clusterMembers(api) == 3);

    OperatorApi operator = new OperatorApi(ADMIN_TOKEN);
    String prefix = "cl-" + UUID.randomUUID().toString().substring(0, 6);
    List<UUID> gatewayIds = new ArrayList<>();
    for (int g = 1; g <= GATEWAYS; g++) {
      String name = prefix + "-gw-" + g;
      gatewayIds.add(UUID.fromString(operator.call("POST", api + "/api/v1/gateways", new JsonObject().put("name", name)
          .put("baseUrl", sim.url() + "/gw/" + name).put("templateVersion", 1), 201).getString("id")));
    }

    // Each reconciler starts with the outage grace: it must be over before the loss, or the loss proves nothing.
    Thread.sleep(Math.max(0, GRACE.toMillis() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - survivorStarted)));

    // Create the fleet from 8 threads; the create-agent command goes round-robin to the provisioners
    // of all three nodes. A third of the way in, the doomed node is lost without goodbye.
    AtomicInteger created = new AtomicInteger();
    AtomicInteger retried = new AtomicInteger();
    ExecutorService creators = Executors.newFixedThreadPool(8);
    List<Future<?>> creations = new ArrayList<>();
    for (int a = 0; a < AGENTS; a++) {
      String gatewayId = gatewayIds.get(a % GATEWAYS).toString();
      String name = prefix + "-agent-" + a;
      creations.add(creators.submit(() -> {
        createAgent(operator, api, gatewayId, name, retried);
        created.incrementAndGet();
      }));
    }
    try {
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> created.get() >= AGENTS / 3);
      doomed.crash();
      nodes.remove(doomed);
      Thread.sleep(FAILOVER.toMillis()); // the test thread, not an event loop: the balancer's health checks
      balancer.retarget("127.0.0.1", URI.create(api).getPort());
      for (Future<?> f : creations) {
        f.get(90, TimeUnit.SECONDS);
      }
    } finally {
      creators.shutdownNow();
    }

    // Membership as the survivors report it in readiness.
    Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> clusterMembers(api) == 2);

    // Every agent converges to ready, some through the surviving reconciler's take-over.
    UUID[] gateways = gatewayIds.toArray(new UUID[0]);
    Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
        assertThat(count(survivor, "SELECT count(*) FROM agents WHERE gateway_id = ANY($1) AND lifecycle_status = 'ready'", gateways))
            .as(statuses(survivor, gateways)).isEqualTo(AGENTS));

    // At most one instance per agent per epoch, as the gateways saw it.
    JsonArray simAgents = operator.call("GET", sim.url() + "/sim/state", null, 200).getJsonArray("agents");
    long ours = simAgents.stream().map(o -> (JsonObject) o).filter(a -> a.getString("name", "").startsWith(prefix)).count();
    assertThat(ours).isEqualTo(AGENTS);
    for (Object o : simAgents) {
      JsonObject agent = (JsonObject) o;
      if (agent.getString("name", "").startsWith(prefix)) {
        assertThat(agent.getInteger("maxRegisteredPerEpoch")).as(agent.encode()).isLessThanOrEqualTo(1);
      }
    }
    // The node was lost mid-provisioning: operator calls it held failed and were retried, or provisions
    // it had started were taken over by the surviving reconciler.
    long takenOver = count(survivor, "SELECT count(*) FROM agents WHERE gateway_id = ANY($1) AND provision_epoch > 1", gateways)
        + count(survivor, "SELECT count(*) FROM lifecycle_events e JOIN agents a ON a.id = e.agent_id "
            + "WHERE a.gateway_id = ANY($1) AND e.name = '" + LifecycleTrigger.PROVISION_FAILED.eventName() + "'", gateways);
    assertThat(retried.get() + takenOver).as("work the lost node held (retried creates %d, taken over %d)", retried.get(), takenOver)
        .isPositive();
    // The survivor's reconciler saw a member leave and gave the fleet the outage grace.
    assertThat(survivor.context().meters().find("rollcall.reconcile.outage_grace").tag("cause", "cluster_member_lost").counter())
        .as("outage grace for the lost node").isNotNull()
        .satisfies(c -> assertThat(c.count()).isPositive());
    // No agent was judged offline: the lost node was control plane, not fleet.
    assertThat(count(survivor, "SELECT count(*) FROM lifecycle_events e JOIN agents a ON a.id = e.agent_id "
        + "WHERE a.gateway_id = ANY($1) AND e.name = '" + LifecycleTrigger.LEASE_EXPIRED.eventName() + "'", gateways)).isZero();
    assertThat(count(survivor, "SELECT count(*) FROM agents WHERE gateway_id = ANY($1) AND lifecycle_status = 'offline'", gateways))
        .isZero();
  }

  private Node start(Map<Setting, String> shared, int hazelcastPort, int httpPort, List<String> verticles, GatewaySimModule sim) {
    Map<Setting, String> settings = new EnumMap<>(shared);
    settings.put(Setting.CLUSTER_PORT, String.valueOf(hazelcastPort));
    settings.put(Setting.HTTP_PORT, String.valueOf(httpPort));
    List<RollcallModule> modules = new ArrayList<>(Modules.select(String.join(",", verticles)));
    if (sim != null) {
      modules.add(sim);
    }
    Node node = Node.start(RollcallConfig.of(settings), Node.Mode.SERVE, modules, true);
    nodes.add(node);
    return node;
  }

  /**
   * An operator's create, retried as an operator would: a request that reached the lost node may fail
   * or time out, and may or may not have created the agent (409 agent_name_taken: it did).
   */
  private static void createAgent(OperatorApi operator, String api, String gatewayId, String name, AtomicInteger retried) {
    for (int attempt = 1; ; attempt++) {
      try {
        operator.call("POST", api + "/api/v1/agents", new JsonObject().put("gatewayId", gatewayId).put("name", name), 202);
        return;
      } catch (IllegalStateException e) {
        if (e.getMessage() != null && e.getMessage().contains("agent_name_taken")) {
          return;
        }
        if (attempt >= 10) {
          throw e;
        }
        retried.incrementAndGet();
      }
    }
  }

  private static int clusterMembers(String api) {
    JsonObject ready = new OperatorApi(ADMIN_TOKEN).call("GET", api + "/health/ready", null, 200);
    for (Object o : ready.getJsonArray("checks")) {
      JsonObject check = (JsonObject) o;
      if ("cluster".equals(check.getString("id"))) {
        return check.getJsonObject("data").getInteger("members");
      }
    }
    return -1;
  }

  private static long count(Node node, String sql, UUID[] gateways) {
    Row row = await(node.context().pool().preparedQuery(sql).execute(Tuple.of(gateways))).iterator().next();
    return row.getLong(0);
  }

  private static String statuses(Node node, UUID[] gateways) {
    StringBuilder sb = new StringBuilder("statuses:");
    for (Row row : await(node.context().pool().preparedQuery(
        "SELECT lifecycle_status, count(*) FROM agents WHERE gateway_id = ANY($1) GROUP BY 1").execute(Tuple.of(gateways)))) {
      sb.append(' ').append(row.getString(0)).append('=').append(row.getLong(1));
    }
    return sb.toString();
  }
}
