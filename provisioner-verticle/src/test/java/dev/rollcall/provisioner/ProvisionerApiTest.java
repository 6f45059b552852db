package dev.rollcall.provisioner;

import static dev.rollcall.core.testing.TestNode.ADMIN;
import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.due.DueQueue;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.persistence.AgentChange;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.LifecycleEventRecord;
import dev.rollcall.core.persistence.TransitionResult;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TestHttp;
import dev.rollcall.core.testing.TestNode;
import dev.rollcall.token.TokenModule;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The provisioner over real HTTP, against real PostgreSQL and Redis and a real HTTP gateway. */
@ExtendWith(RealServersExtension.class)
class ProvisionerApiTest {
  private TestGateway gateway;
  private TestNode node;
  private String gatewayId;

  @BeforeEach
  void start() {
    gateway = new TestGateway();
    // Real time: dispatch backoffs and confirmation windows must pass by themselves.
    node = TestNode.start(java.time.Clock.systemUTC(), Map.of(
            Setting.GATEWAY_TIMEOUT, "400ms",
            Setting.TASK_RETRY_BACKOFF, "10ms",
            Setting.START_CONFIRM_WINDOW, "2s",
            Setting.DISPATCH_INTERVAL, "50ms",
            Setting.BREAKER_FAILURES, "2",
            Setting.BREAKER_COOLDOWN, "2s"),
        List.of(new TokenModule(), new ProvisionerModule()));
    TestHttp.Response created = node.http().post("/api/v1/gateways",
        new JsonObject().put("name", "gw-" + UUID.randomUUID()).put("baseUrl", gateway.url()).put("templateVersion", 2).encode(), ADMIN);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    gatewayId = created.json().getString("id");
  }

  @AfterEach
  void stop() {
    node.close();
    gateway.close();
  }

  @Test
  void createProvisionsWithATicketThenWakesWithACheckinDeadline() {
    Instant before = Instant.now();
    TestHttp.Response created = node.http().post("/api/v1/agents",
        new JsonObject().put("gatewayId", gatewayId).put("name", "a1").encode(), ADMIN);
    assertThat(created.status()).as(created.body()).isEqualTo(202);
    String agentId = created.json().getJsonObject("agent").getString("id");
    assertThat(created.json().getJsonObject("operation").getLong("provisionEpoch")).isEqualTo(1);

    AgentRecord waking = awaitStatus(agentId, LifecycleStatus.WAKING);
    assertThat(waking.wakeAttempts()).isEqualTo(1);
    assertThat(waking.checkinDeadline()).isBetween(before.plusSeconds(30), Instant.now().plusSeconds(30));
    JsonObject provision = gateway.calls("provision").get(0).body();
    assertThat(provision.getLong("provisionEpoch")).isEqualTo(1);
    assertThat(provision.getString("bootstrapTicket")).isNotBlank();
    assertThat(provision.getInteger("templateVersion")).isEqualTo(2);
    assertThat(provision.getString("controlPlaneUrl")).startsWith("http://");
    assertThat(gateway.calls("wake")).hasSize(1);
    assertThat(eventNames(agentId)).containsSubsequence("lifecycle.agent.created", "lifecycle.provision.accepted",
        "lifecycle.wake.sent", "lifecycle.queue.enqueued");
    assertThat(await(DueQueue.dueAt(node.context().redis(), UUID.fromString(agentId))).map(Instant::toEpochMilli))
        .contains(waking.checkinDeadline().toEpochMilli());

    // The operator's view: every lifecycle field, the empty ones as null.
    JsonObject view = node.http().get("/api/v1/agents/" + agentId, ADMIN).json();
    assertThat(view.getString("lifecycleStatus")).isEqualTo("waking");
    assertThat(view.containsKey("lastProvisionError")).isTrue();
    assertThat(view.getLong("provisionEpoch")).isEqualTo(1);
  }

  @Test
  void fiftyConcurrentProvisionsFromSeveralSourcesReachTheGatewayOncePerEpoch() throws Exception {
    String agentId = readyAgent("busy-restarts").id().toString();
    int before = gateway.calls("provision").size();
    gateway.provisionDelayMillis = 300; // the attempt stays in flight while the requests arrive
    List<CompletableFuture<JsonObject>> answers = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      if (i % 2 == 0) {
        answers.add(CompletableFuture.supplyAsync(() -> {
          TestHttp.Response r = node.http().post("/api/v1/agents/" + agentId + "/provision", "", ADMIN);
          assertThat(r.status()).as(r.body()).isEqualTo(202);
          return r.json();
        }));
      } else {
        // The reconciler and retries come over the bus.
        answers.add(node.vertx().eventBus().<JsonObject>request(Addresses.PROVISIONER_PROVISION,
                new JsonObject().put("agentId", agentId).put("source", i % 4 == 1 ? "reconciler" : "retry"))
            .map(reply -> reply.body()).toCompletionStage().toCompletableFuture());
      }
    }
    List<JsonObject> operations = new ArrayList<>();
    for (CompletableFuture<JsonObject> answer : answers) {
      operations.add(answer.get(20, java.util.concurrent.TimeUnit.SECONDS));
    }
    awaitStatus(agentId, LifecycleStatus.WAKING);

    List<TestGateway.Call> provisions = gateway.calls("provision").subList(before, gateway.calls("provision").size());
    Map<Long, Long> callsPerEpoch = provisions.stream()
        .collect(Collectors.groupingBy(c -> c.body().getLong("provisionEpoch"), Collectors.counting()));
    assertThat(callsPerEpoch.values()).as("gateway calls per epoch: %s", callsPerEpoch).allMatch(n -> n == 1);
    Set<Long> epochs = operations.stream().map(o -> o.getLong("provisionEpoch")).collect(Collectors.toSet());
    assertThat(callsPerEpoch.keySet()).isEqualTo(epochs);
    assertThat(operations.stream().filter(o -> !o.getBoolean("joined")).count()).isEqualTo(epochs.size());
    assertThat(epochs).hasSize(1); // all fifty arrived while the first attempt was in flight
  }

  @Test
  void anInstanceOfASupersededEpochIsDeprovisionedWhenItRegisters() {
    AgentRecord agent = readyAgent("two-instances");
    String oldTicket = lastTicket(agent.id());
    long oldEpoch = agent.provisionEpoch();
    TestHttp.Response reprovisioned = node.http().post("/api/v1/agents/" + agent.id() + "/provision", "", ADMIN);
    assertThat(reprovisioned.json().getLong("provisionEpoch")).isEqualTo(oldEpoch + 1);
    awaitStatus(agent.id().toString(), LifecycleStatus.WAKING);
    // The old instance (seed 03's second workspace) tries to register with its old ticket.
    TestHttp.Response late = register(agent.id(), oldTicket, "old-instance");
    assertThat(late.status()).isEqualTo(409);
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(gateway.calls("deprovision"))
        .anySatisfy(c -> assertThat(c.body().getLong("provisionEpoch")).isEqualTo(oldEpoch)));
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(eventNames(agent.id().toString())).contains("lifecycle.instance.stale_deprovisioned"));
  }

  @Test
  void wakeCountsTheAttemptAndAGatewayThatRefusesItLandsOnTheAgent() {
    AgentRecord agent = readyAgent("sleepy");
    assertError(node.http().post("/api/v1/agents/" + agent.id() + "/wake", "", ADMIN), 409, "not_wakeable");
    AgentRecord offline = ((TransitionResult.Applied) await(node.context().agentRepository().transition(agent,
        LifecycleTrigger.LEASE_EXPIRED, AgentChange.none(), null))).agent();
    gateway.wakeStatus = 503;
    TestHttp.Response woken = node.http().post("/api/v1/agents/" + offline.id() + "/wake", "", ADMIN);
    assertThat(woken.status()).as(woken.body()).isEqualTo(200);
    assertThat(woken.json().getBoolean("wakeDelivered")).isFalse();
    AgentRecord after = find(offline.id());
    assertThat(after.status()).isEqualTo(LifecycleStatus.WAKING);
    assertThat(after.wakeAttempts()).isEqualTo(1);
    assertThat(after.lastProvisionError()).contains("wake 1 not delivered");
    assertThat(eventNames(offline.id().toString())).contains("lifecycle.queue.enqueued", "lifecycle.wake.failed");
  }

  @Test
  void deleteLeavesATombstoneRevokesAndDeprovisions() {
    AgentRecord agent = readyAgent("doomed");
    TestHttp.Response deleted = node.http().delete("/api/v1/agents/" + agent.id(), ADMIN);
    assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
    assertThat(deleted.json().getString("lifecycleStatus")).isEqualTo("deleted");
    assertThat(node.http().delete("/api/v1/agents/" + agent.id(), ADMIN).status()).as("deleting twice").isEqualTo(200);
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(gateway.calls("deprovision"))
        .anySatisfy(c -> assertThat(c.agentId()).isEqualTo(agent.id().toString())));
    assertError(node.http().post("/api/v1/agents/" + agent.id() + "/provision", "", ADMIN), 410, "agent_deleted");
    assertError(node.http().post("/api/v1/tasks", new JsonObject().put("agentId", agent.id().toString()).encode(), ADMIN),
        410, "agent_deleted");
  }

  @Test
  void listingFiltersByStatusAndGatewayAndPages() {
    for (int i = 0; i < 5; i++) {
      node.http().post("/api/v1/agents", new JsonObject().put("gatewayId", gatewayId).put("name", "fleet-" + i).encode(), ADMIN);
    }
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
        node.http().get("/api/v1/agents?status=waking&gatewayId=" + gatewayId, ADMIN).json().getJsonArray("agents").size() == 5);
    JsonObject first = node.http().get("/api/v1/agents?gatewayId=" + gatewayId + "&limit=3", ADMIN).json();
    assertThat(first.getJsonArray("agents")).hasSize(3);
    JsonObject second = node.http().get("/api/v1/agents?gatewayId=" + gatewayId + "&limit=3&after=" + first.getString("next"), ADMIN).json();
    assertThat(second.getJsonArray("agents")).hasSize(2);
    assertThat(second.getString("next")).isNull();
    assertThat(node.http().get("/api/v1/agents?status=ready&gatewayId=" + gatewayId, ADMIN).json().getJsonArray("agents")).isEmpty();
    assertThat(node.http().get("/api/v1/gateways", ADMIN).json().getJsonArray("gateways")).isNotEmpty();
  }

  @Test
  void badInputOnEveryOperatorEndpointIsAClear4xxAndNothingIsWritten() {
    String agents = "/api/v1/agents";
    assertError(node.http().post("/api/v1/gateways", "{\"name\": \"x\"}", ADMIN), 400, "missing_field");
    assertError(node.http().post("/api/v1/gateways", "{\"name\": \"x\", \"baseUrl\": \"ftp://gw\"}", ADMIN), 400, "invalid_base_url");
    assertError(node.http().post("/api/v1/gateways", "{\"name\": \"x\", \"baseUrl\": \"http://u:p@gw\"}", ADMIN), 400, "invalid_base_url");
    assertError(node.http().post("/api/v1/gateways", "{\"name\": \"x\", \"baseUrl\": \"http://gw\", \"templateVersion\": 0}", ADMIN),
        400, "invalid_field");
    assertError(node.http().post("/api/v1/gateways", "[1]", ADMIN), 400, "malformed_json");
    assertError(node.http().get("/api/v1/gateways?limit=0", ADMIN), 400, "invalid_query");
    assertError(node.http().post(agents, "{\"gatewayId\": \"nope\", \"name\": \"a\"}", ADMIN), 400, "invalid_id");
    assertError(node.http().post(agents, "{\"gatewayId\": \"" + gatewayId + "\"}", ADMIN), 400, "missing_field");
    assertError(node.http().post(agents, "{\"gatewayId\": \"" + UUID.randomUUID() + "\", \"name\": \"a\"}", ADMIN), 404, "gateway_not_found");
    assertError(node.http().get(agents + "?status=sleepy", ADMIN), 400, "invalid_query");
    assertError(node.http().get(agents + "?gatewayId=x", ADMIN), 400, "invalid_query");
    assertError(node.http().get(agents + "?limit=100000", ADMIN), 400, "invalid_query");
    assertError(node.http().get(agents + "/nope", ADMIN), 400, "invalid_id");
    assertError(node.http().get(agents + "/" + UUID.randomUUID(), ADMIN), 404, "agent_not_found");
    assertError(node.http().get(agents + "/" + UUID.randomUUID() + "/events", ADMIN), 404, "agent_not_found");
    assertError(node.http().post(agents + "/" + UUID.randomUUID() + "/provision", "", ADMIN), 404, "agent_not_found");
    assertError(node.http().post(agents + "/" + UUID.randomUUID() + "/wake", "", ADMIN), 404, "agent_not_found");
    assertError(node.http().delete(agents + "/nope", ADMIN), 400, "invalid_id");
    assertError(node.http().post("/api/v1/tasks", "{}", ADMIN), 400, "invalid_target");
    assertError(node.http().post("/api/v1/tasks", "{\"gatewayId\": \"" + gatewayId + "\", \"payload\": 3}", ADMIN), 400, "invalid_payload");
    assertError(node.http().post("/api/v1/tasks", "{\"gatewayId\": \"" + gatewayId + "\", \"maxAttempts\": 0}", ADMIN), 400, "invalid_field");
    assertError(node.http().post("/api/v1/tasks", "{\"gatewayId\": \"" + UUID.randomUUID() + "\"}", ADMIN), 404, "gateway_not_found");
    assertError(node.http().get("/api/v1/tasks/" + UUID.randomUUID(), ADMIN), 404, "task_not_found");
    assertError(node.http().post("/api/v1/gateways", "{\"name\": \"x\", \"baseUrl\": \"http://gw\", \"pad\": \"" + "x".repeat(70_000) + "\"}",
        ADMIN), 413, "body_too_large");
    // Nothing above created anything.
    assertThat(node.http().get(agents + "?gatewayId=" + gatewayId, ADMIN).json().getJsonArray("agents")).isEmpty();
    assertThat(node.http().get("/api/v1/gateways", ADMIN).json().getJsonArray("gateways")).hasSize(1);
    // And without the admin token, nothing at all.
    assertError(node.http().get(agents, Map.of()), 401, "operator_unauthorized");
    assertError(node.http().post(agents, "{}", Map.of("Authorization", "Bearer wrong-token-0123456789")), 401, "operator_unauthorized");
    assertError(node.http().post("/api/v1/tasks", "{}", Map.of()), 401, "operator_unauthorized");
  }

  // --- helpers -------------------------------------------------------------------------------------

  /** An agent created through the API, registered with the ticket its gateway got, and ready. */
  AgentRecord readyAgent(String name) {
    TestHttp.Response created = node.http().post("/api/v1/agents",
        new JsonObject().put("gatewayId", gatewayId).put("name", name).encode(), ADMIN);
    UUID agentId = UUID.fromString(created.json().getJsonObject("agent").getString("id"));
    awaitStatus(agentId.toString(), LifecycleStatus.WAKING);
    TestHttp.Response registered = register(agentId, lastTicket(agentId), name + "-instance");
    assertThat(registered.status()).as(registered.body()).isEqualTo(200);
    credentials.put(agentId, registered.json().getString("credential"));
    AgentRecord starting = find(agentId);
    return ((TransitionResult.Applied) await(node.context().agentRepository().transition(starting,
        LifecycleTrigger.REPORTED_READY, AgentChange.none(), null))).agent();
  }

  final Map<UUID, String> credentials = new ConcurrentHashMap<>();

  TestNode node() {
    return node;
  }

  TestGateway gateway() {
    return gateway;
  }

  io.micrometer.core.instrument.MeterRegistry nodeMeters() {
    return node.meters();
  }

  String lastTicket(UUID agentId) {
    List<TestGateway.Call> provisions = gateway.calls("provision").stream().filter(c -> c.agentId().equals(agentId.toString())).toList();
    return provisions.get(provisions.size() - 1).body().getString("bootstrapTicket");
  }

  TestHttp.Response register(UUID agentId, String ticket, String instance) {
    return node.http().post("/api/v1/agents/" + agentId + "/register",
        new JsonObject().put("ticket", ticket).put("instanceId", instance).encode(), Map.of());
  }

  AgentRecord find(UUID agentId) {
    return await(node.context().agentRepository().find(agentId)).orElseThrow();
  }

  AgentRecord awaitStatus(String agentId, LifecycleStatus status) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
        .until(() -> find(UUID.fromString(agentId)).status() == status);
    return find(UUID.fromString(agentId));
  }

  List<String> eventNames(String agentId) {
    return await(node.context().agentRepository().events(UUID.fromString(agentId), 0, 1000)).stream()
        .map(LifecycleEventRecord::name).toList();
  }

  static void assertError(TestHttp.Response response, int status, String error) {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.json().getString("error")).as(response.body()).isEqualTo(error);
    assertThat(response.json().containsKey("retryable")).isTrue();
  }
}
