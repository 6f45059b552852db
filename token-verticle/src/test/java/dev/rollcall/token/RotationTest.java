package dev.rollcall.token;

import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.bus.TokenMessages;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.AgentRepository;
import dev.rollcall.core.persistence.GatewayRecord;
import dev.rollcall.core.persistence.LifecycleEventRecord;
import dev.rollcall.core.testing.MutableClock;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TestHttp;
import dev.rollcall.core.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Seed 01's template sync with token rotation, against a real HTTP gateway (a small Vert.x server that
 * stores what it is sent, and can be told to fail), with agents calling the authenticated API.
 */
@ExtendWith(RealServersExtension.class)
class RotationTest {
  private MutableClock clock;
  private TestNode node;
  private AgentRepository agents;
  private Vertx gatewayVertx;
  private String gatewayUrl;
  /** What the gateway holds for each agent: the credential the agent runs with. */
  private final Map<String, String> gatewayCredentials = new ConcurrentHashMap<>();
  private final AtomicBoolean gatewayFails = new AtomicBoolean();
  private final AtomicInteger syncCalls = new AtomicInteger();

  @BeforeEach
  void start() {
    clock = new MutableClock(Instant.now());
    node = TestNode.start(clock, Map.of(Setting.ROTATION_GRACE, "5m", Setting.GATEWAY_TIMEOUT, "1s"), List.of(new TokenModule()));
    agents = node.context().agentRepository();
    gatewayVertx = Vertx.vertx();
    Router router = Router.router(gatewayVertx);
    router.post("/v1/templates/sync").handler(BodyHandler.create()).handler(rc -> {
      syncCalls.incrementAndGet();
      if (gatewayFails.get()) {
        rc.response().setStatusCode(500).end("disk full");
        return;
      }
      rc.body().asJsonObject().getJsonArray("agents").forEach(o -> {
        JsonObject a = (JsonObject) o;
        if (a.getString("credential") != null) {
          gatewayCredentials.put(a.getString("agentId"), a.getString("credential"));
        }
      });
      rc.json(new JsonObject().put("synced", rc.body().asJsonObject().getJsonArray("agents").size()));
    });
    HttpServer server = await(gatewayVertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    gatewayUrl = "http://127.0.0.1:" + server.actualPort();
  }

  @AfterEach
  void stop() {
    node.close();
    await(gatewayVertx.close());
  }

  @Test
  void rotationDuringSteadyCallsCausesNoSingle401AndRetiresTheOldCredentialOnceTheNewOneIsUsed() {
    GatewayRecord gw = await(node.context().gatewayRepository().create("gw-rot", gatewayUrl, 3));
    List<AgentRecord> fleet = List.of(registeredAgent(gw, "a1"), registeredAgent(gw, "a2"), registeredAgent(gw, "a3"));
    Map<String, String> before = Map.copyOf(gatewayCredentials);

    // Agents call steadily with whatever credential their gateway holds, while the operator rotates.
    AtomicInteger unauthorized = new AtomicInteger();
    AtomicInteger calls = new AtomicInteger();
    AtomicBoolean running = new AtomicBoolean(true);
    Thread agentsLoop = new Thread(() -> {
      while (running.get()) {
        for (AgentRecord a : fleet) {
          int status = call(a.id(), gatewayCredentials.get(a.id().toString())).status();
          calls.incrementAndGet();
          if (status == 401) {
            unauthorized.incrementAndGet();
          }
        }
      }
    });
    agentsLoop.start();
    TestHttp.Response sync = node.http().post("/api/v1/gateways/" + gw.id() + "/templates/sync?rotate_tokens=true", "", TestNode.ADMIN);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() > 100);
    running.set(false);
    join(agentsLoop);

    assertThat(sync.status()).as(sync.body()).isEqualTo(200);
    assertThat(sync.json().getInteger("rotated")).isEqualTo(3);
    assertThat(unauthorized.get()).as("401s during rotation out of %d calls", calls.get()).isZero();
    for (AgentRecord a : fleet) {
      String old = before.get(a.id().toString());
      String fresh = gatewayCredentials.get(a.id().toString());
      assertThat(fresh).isNotEqualTo(old);
      // The new credential was used, which proves delivery: the old one is retired everywhere.
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> call(a.id(), old).status() == 401);
      assertThat(call(a.id(), fresh).status()).isEqualTo(200);
      assertThat(events(a)).contains("lifecycle.credential.rotated");
    }
  }

  @Test
  void anUnusedNewCredentialLeavesTheOldOneValidUntilTheGraceEnds() {
    GatewayRecord gw = await(node.context().gatewayRepository().create("gw-grace", gatewayUrl, 3));
    AgentRecord agent = registeredAgent(gw, "a1");
    String old = gatewayCredentials.get(agent.id().toString());

    assertThat(node.http().post("/api/v1/gateways/" + gw.id() + "/templates/sync?rotate_tokens=true", "", TestNode.ADMIN).status())
        .isEqualTo(200);
    // The agent has not picked up the new credential yet: the old one still works within the grace...
    clock.advance(Duration.ofMinutes(4));
    org.awaitility.Awaitility.await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
        .until(() -> call(agent.id(), old).status() == 200);
    // ...and not after it.
    clock.advance(Duration.ofMinutes(2));
    TestHttp.Response after = call(agent.id(), old);
    assertThat(after.status()).isEqualTo(401);
    assertThat(after.json().getString("error")).isEqualTo("credential_invalid");
    // The agent still has a live (the new) credential, so this is not a re-bootstrap case.
    assertThat(after.json().containsKey("recovery")).isFalse();
    assertThat(call(agent.id(), gatewayCredentials.get(agent.id().toString())).status()).isEqualTo(200);
  }

  @Test
  void aFailedGatewayWriteLeavesTheOldCredentialUntouched() {
    GatewayRecord gw = await(node.context().gatewayRepository().create("gw-down", gatewayUrl, 3));
    AgentRecord agent = registeredAgent(gw, "a1");
    String old = gatewayCredentials.get(agent.id().toString());
    gatewayFails.set(true);

    TestHttp.Response sync = node.http().post("/api/v1/gateways/" + gw.id() + "/templates/sync?rotate_tokens=true", "", TestNode.ADMIN);
    assertThat(sync.status()).as(sync.body()).isEqualTo(502);
    assertThat(sync.json().getString("error")).isEqualTo("gateway_sync_failed");
    assertThat(sync.json().getBoolean("retryable")).isTrue();
    assertThat(syncCalls.get()).isEqualTo(3);
    assertThat(gatewayCredentials.get(agent.id().toString())).isEqualTo(old);
    assertThat(events(agent)).contains("lifecycle.credential.rotation_failed");

    // Long after any grace would have ended, the old credential still works.
    clock.advance(Duration.ofMinutes(30));
    assertThat(call(agent.id(), old).status()).isEqualTo(200);
  }

  @Test
  void syncNeedsTheAdminTokenAndAKnownGateway() {
    UUID unknown = UUID.randomUUID();
    assertThat(node.http().post("/api/v1/gateways/" + unknown + "/templates/sync?rotate_tokens=true", "", Map.of()).status()).isEqualTo(401);
    TestHttp.Response missing = node.http().post("/api/v1/gateways/" + unknown + "/templates/sync", "", TestNode.ADMIN);
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.json().getString("error")).isEqualTo("gateway_not_found");
    assertThat(node.http().post("/api/v1/gateways/nope/templates/sync", "", TestNode.ADMIN).json().getString("error")).isEqualTo("invalid_id");
    assertThat(node.http().post("/api/v1/gateways/" + unknown + "/templates/sync?rotate_tokens=maybe", "", TestNode.ADMIN).status())
        .isEqualTo(400);
  }

  private AgentRecord registeredAgent(GatewayRecord gw, String name) {
    AgentRecord agent = await(agents.create(gw.id(), name, 3));
    JsonObject ticket = await(node.vertx().eventBus().<JsonObject>request(Addresses.TOKEN_ISSUE_TICKET,
        new TokenMessages.IssueTicket(agent.id(), agent.provisionEpoch()).toJson())).body();
    TestHttp.Response registered = node.http().post("/api/v1/agents/" + agent.id() + "/register",
        new JsonObject().put("ticket", ticket.getString("ticket")).put("instanceId", name).encode(), Map.of());
    assertThat(registered.status()).isEqualTo(200);
    String credential = registered.json().getString("credential");
    gatewayCredentials.put(agent.id().toString(), credential);
    assertThat(call(agent.id(), credential).status()).isEqualTo(200);
    return agent;
  }

  private TestHttp.Response call(UUID agentId, String credential) {
    return node.http().get("/api/v1/agents/" + agentId + "/credential", Map.of("X-Agent-Token", credential));
  }

  private List<String> events(AgentRecord agent) {
    return await(agents.events(agent.id(), 0, 1000)).stream().map(LifecycleEventRecord::name).toList();
  }

  private static void join(Thread t) {
    try {
      t.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
