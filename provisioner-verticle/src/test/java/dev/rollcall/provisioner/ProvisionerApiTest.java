package dev.rollcall.provisioner;

import dev.rollcall.core.testing.TestGateway;
import static dev.rollcall.core.testing.TestNode.ADMIN;
import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.due.DueQueue;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.persistence.AgentChange;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.TransitionResult;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TestHttp;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The provisioner over real HTTP, against real PostgreSQL and Redis and a real HTTP gateway. */
@ExtendWith(RealServersExtension.class)
class ProvisionerApiTest {
  private final ProvisionerFixture fx = new ProvisionerFixture();

  @BeforeEach
  void start() {
    fx.start();
  }

  @AfterEach
  void stop() {
    fx.stop();
  }

  @Test
  void createProvisionsWithATicketThenWakesWithACheckinDeadline() {
    Instant before = Instant.now();
    TestHttp.Response created = fx.node.http().post("/api/v1/agents",
        new JsonObject().put("gatewayId", fx.gatewayId).put("name", "a1").encode(), ADMIN);
    assertThat(created.status()).as(created.body()).isEqualTo(202);
    String agentId = created.json().getJsonObject("agent").getString("id");
    assertThat(created.json().getJsonObject("operation").getLong("provisionEpoch")).isEqualTo(1);

    fx.awaitStatus(agentId, LifecycleStatus.WAKING);
    // The wake's transaction commits, then the gateway is called: on a busy machine the call comes later.
    Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
        .until(() -> fx.gateway.calls("wake").size() == 1);
    AgentRecord waking = fx.find(UUID.fromString(agentId));
    assertThat(waking.status()).isEqualTo(LifecycleStatus.WAKING);
    assertThat(waking.wakeAttempts()).isEqualTo(1);
    assertThat(waking.checkinDeadline()).isBetween(before.plusSeconds(30), Instant.now().plusSeconds(30));
    JsonObject provision = fx.gateway.calls("provision").get(0).body();
    assertThat(provision.getLong("provisionEpoch")).isEqualTo(1);
    assertThat(provision.getString("bootstrapTicket")).isNotBlank();
    assertThat(provision.getInteger("templateVersion")).isEqualTo(2);
    assertThat(provision.getString("controlPlaneUrl")).startsWith("http://");
    assertThat(fx.gateway.calls("wake")).hasSize(1);
    assertThat(fx.eventNames(agentId)).containsSubsequence("lifecycle.agent.created", "lifecycle.provision.accepted",
        "lifecycle.wake.sent", "lifecycle.queue.enqueued");
    // The reconciler is asked to look at once (it records lifecycle.reconcile.deferred and queues itself
    // for the deadline); no reconciler runs here, so the entry stays where the wake put it.
    assertThat(await(DueQueue.dueAt(fx.node.context().redis(), UUID.fromString(agentId))).orElseThrow())
        .isBefore(waking.checkinDeadline());

    // The operator's view: every lifecycle field, the empty ones as null.
    JsonObject view = fx.node.http().get("/api/v1/agents/" + agentId, ADMIN).json();
    assertThat(view.getString("lifecycleStatus")).isEqualTo("waking");
    assertThat(view.containsKey("lastProvisionError")).isTrue();
    assertThat(view.getLong("provisionEpoch")).isEqualTo(1);
  }

  @Test
  void fiftyConcurrentProvisionsFromSeveralSourcesReachTheGatewayOncePerEpoch() throws Exception {
    String agentId = fx.readyAgent("busy-restarts").id().toString();
    int before = fx.gateway.calls("provision").size();
    fx.gateway.provisionDelayMillis = 300; // the attempt stays in flight while the requests arrive
    List<CompletableFuture<JsonObject>> answers = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      if (i % 2 == 0) {
        answers.add(CompletableFuture.supplyAsync(() -> {
          TestHttp.Response r = fx.node.http().post("/api/v1/agents/" + agentId + "/provision", "", ADMIN);
          assertThat(r.status()).as(r.body()).isEqualTo(202);
          return r.json();
        }));
      } else {
        // The reconciler and retries come over the bus.
        answers.add(fx.node.vertx().eventBus().<JsonObject>request(Addresses.PROVISIONER_PROVISION,
                new JsonObject().put("agentId", agentId).put("source", i % 4 == 1 ? "reconciler" : "retry"))
            .map(reply -> reply.body()).toCompletionStage().toCompletableFuture());
      }
    }
    List<JsonObject> operations = new ArrayList<>();
    for (CompletableFuture<JsonObject> answer : answers) {
      operations.add(answer.get(20, java.util.concurrent.TimeUnit.SECONDS));
    }
    fx.awaitStatus(agentId, LifecycleStatus.WAKING);

    List<TestGateway.Call> provisions = fx.gateway.calls("provision").subList(before, fx.gateway.calls("provision").size());
    Map<Long, Long> callsPerEpoch = provisions.stream()
        .collect(Collectors.groupingBy(c -> c.body().getLong("provisionEpoch"), Collectors.counting()));
    assertThat(callsPerEpoch.values()).as("gateway calls per epoch: %s", callsPerEpoch).allMatch(n -> n == 1);
    Set<Long> epochs = operations.stream().map(o -> o.getLong("provisionEpoch")).collect(Collectors.toSet());
    assertThat(callsPerEpoch.keySet()).isEqualTo(epochs);
    assertThat(operations.stream().filter(o -> !o.getBoolean("joined")).count()).isEqualTo(epochs.size());
    assertThat(epochs).hasSize(1); // all fifty arrived while the first attempt was in flight
  }

  @Test
  void theOutcomeOfAnAttemptThatANewerOneReplacedIsDroppedNotWritten() {
    fx.gateway.provisionDelayMillis = 300; // epoch 1's answer comes back after epoch 2 started
    TestHttp.Response created = fx.node.http().post("/api/v1/agents",
        new JsonObject().put("gatewayId", fx.gatewayId).put("name", "replaced").encode(), ADMIN);
    UUID agentId = UUID.fromString(created.json().getJsonObject("agent").getString("id"));
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !fx.gateway.calls("provision").isEmpty());
    // Another node took the agent over meanwhile (as after a take-over of a stale attempt): epoch 2.
    AgentRecord atOne = fx.find(agentId);
    TransitionResult bumped = await(fx.node.context().agentRepository().transition(atOne, LifecycleTrigger.PROVISION_REQUESTED,
        AgentChange.create().bumpProvisionEpoch(), new JsonObject().put("source", "test: another node")));
    assertThat(bumped).isInstanceOf(TransitionResult.Applied.class);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
        fx.nodeMeters().find("rollcall.provisions").tag("outcome", "dropped").counter() != null);
    AgentRecord after = fx.find(agentId);
    assertThat(after.provisionEpoch()).isEqualTo(2);
    assertThat(after.status()).as("epoch 1's acceptance must not move epoch 2").isEqualTo(LifecycleStatus.PROVISIONING);
    assertThat(fx.eventNames(agentId.toString())).doesNotContain("lifecycle.provision.accepted", "lifecycle.wake.sent");
    assertThat(fx.gateway.calls("wake")).isEmpty();
  }

  @Test
  void anAttemptWhoseNodeDiedIsTakenOverOnceAndTheTakeOverIsSingleFlightToo() {
    // Created in provisioning at epoch 1 by a node that died before calling the gateway.
    AgentRecord orphan = await(fx.node.context().agentRepository().create(UUID.fromString(fx.gatewayId), "orphan", null));
    JsonObject early = fx.node.http().post("/api/v1/agents/" + orphan.id() + "/provision", "", ADMIN).json();
    assertThat(early.getBoolean("joined")).as("too early to take over").isTrue();
    assertThat(early.getLong("provisionEpoch")).isEqualTo(1);
    // The take-over is judged from the attempt's updated_at by the node's clock: move it past the 1.8 s.
    fx.clock.advance(Duration.ofMillis(1900));
    fx.gateway.provisionDelayMillis = 300;
    JsonObject takeOver = fx.node.http().post("/api/v1/agents/" + orphan.id() + "/provision", "", ADMIN).json();
    assertThat(takeOver.getBoolean("joined")).isFalse();
    assertThat(takeOver.getLong("provisionEpoch")).isEqualTo(2);
    JsonObject again = fx.node.http().post("/api/v1/agents/" + orphan.id() + "/provision", "", ADMIN).json();
    assertThat(again.getBoolean("joined")).as("the take-over is in flight: join it").isTrue();
    assertThat(again.getLong("provisionEpoch")).isEqualTo(2);
    fx.awaitStatus(orphan.id().toString(), LifecycleStatus.WAKING);
    assertThat(fx.gateway.calls("provision")).hasSize(1);
  }

  @Test
  void anInstanceOfASupersededEpochIsDeprovisionedWhenItRegisters() {
    AgentRecord agent = fx.readyAgent("two-instances");
    String oldTicket = fx.lastTicket(agent.id());
    long oldEpoch = agent.provisionEpoch();
    TestHttp.Response reprovisioned = fx.node.http().post("/api/v1/agents/" + agent.id() + "/provision", "", ADMIN);
    assertThat(reprovisioned.json().getLong("provisionEpoch")).isEqualTo(oldEpoch + 1);
    fx.awaitStatus(agent.id().toString(), LifecycleStatus.WAKING);
    // The old instance (seed 03's second workspace) tries to register with its old ticket.
    TestHttp.Response late = fx.register(agent.id(), oldTicket, "old-instance");
    assertThat(late.status()).isEqualTo(409);
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(fx.gateway.calls("deprovision"))
        .anySatisfy(c -> assertThat(c.body().getLong("provisionEpoch")).isEqualTo(oldEpoch)));
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(fx.eventNames(agent.id().toString())).contains("lifecycle.instance.stale_deprovisioned"));
  }

  @Test
  void wakeCountsTheAttemptAndAGatewayThatRefusesItLandsOnTheAgent() {
    AgentRecord agent = fx.readyAgent("sleepy");
    ProvisionerFixture.assertError(fx.node.http().post("/api/v1/agents/" + agent.id() + "/wake", "", ADMIN), 409, "not_wakeable");
    AgentRecord offline = ((TransitionResult.Applied) await(fx.node.context().agentRepository().transition(agent,
        LifecycleTrigger.LEASE_EXPIRED, AgentChange.none(), null))).agent();
    fx.gateway.wakeStatus = 503;
    TestHttp.Response woken = fx.node.http().post("/api/v1/agents/" + offline.id() + "/wake", "", ADMIN);
    assertThat(woken.status()).as(woken.body()).isEqualTo(200);
    assertThat(woken.json().getBoolean("wakeDelivered")).isFalse();
    AgentRecord after = fx.find(offline.id());
    assertThat(after.status()).isEqualTo(LifecycleStatus.WAKING);
    assertThat(after.wakeAttempts()).isEqualTo(1);
    assertThat(after.lastProvisionError()).contains("wake 1 not delivered");
    assertThat(fx.eventNames(offline.id().toString())).contains("lifecycle.queue.enqueued", "lifecycle.wake.failed");
  }

  @Test
  void deleteLeavesATombstoneRevokesAndDeprovisions() {
    AgentRecord agent = fx.readyAgent("doomed");
    TestHttp.Response deleted = fx.node.http().delete("/api/v1/agents/" + agent.id(), ADMIN);
    assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
    assertThat(deleted.json().getString("lifecycleStatus")).isEqualTo("deleted");
    assertThat(fx.node.http().delete("/api/v1/agents/" + agent.id(), ADMIN).status()).as("deleting twice").isEqualTo(200);
    // Its wake had queued a check-in deadline; the delete drops it (and any lease).
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(await(DueQueue.dueAt(fx.node.context().redis(), agent.id()))).isEmpty();
      assertThat(await(dev.rollcall.core.liveness.Leases.lastSeen(fx.node.context().redis(), agent.id()))).isEmpty();
    });
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(fx.gateway.calls("deprovision"))
        .anySatisfy(c -> assertThat(c.agentId()).isEqualTo(agent.id().toString())));
    ProvisionerFixture.assertError(fx.node.http().post("/api/v1/agents/" + agent.id() + "/provision", "", ADMIN), 410, "agent_deleted");
    ProvisionerFixture.assertError(fx.node.http().post("/api/v1/tasks", new JsonObject().put("agentId", agent.id().toString()).encode(), ADMIN),
        410, "agent_deleted");
  }

  @Test
  void listingFiltersByStatusAndGatewayAndPages() {
    for (int i = 0; i < 5; i++) {
      fx.node.http().post("/api/v1/agents", new JsonObject().put("gatewayId", fx.gatewayId).put("name", "fleet-" + i).encode(), ADMIN);
    }
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
        fx.node.http().get("/api/v1/agents?status=waking&gatewayId=" + fx.gatewayId, ADMIN).json().getJsonArray("agents").size() == 5);
    JsonObject first = fx.node.http().get("/api/v1/agents?gatewayId=" + fx.gatewayId + "&limit=3", ADMIN).json();
    assertThat(first.getJsonArray("agents")).hasSize(3);
    JsonObject second = fx.node.http().get("/api/v1/agents?gatewayId=" + fx.gatewayId + "&limit=3&after=" + first.getString("next"), ADMIN).json();
    assertThat(second.getJsonArray("agents")).hasSize(2);
    assertThat(second.getString("next")).isNull();
    assertThat(fx.node.http().get("/api/v1/agents?status=ready&gatewayId=" + fx.gatewayId, ADMIN).json().getJsonArray("agents")).isEmpty();
    assertThat(fx.node.http().get("/api/v1/gateways", ADMIN).json().getJsonArray("gateways")).isNotEmpty();
  }

  @Test
  void badInputOnEveryOperatorEndpointIsAClear4xxAndNothingIsWritten() {
    String agents = "/api/v1/agents";
    ProvisionerFixture.assertError(fx.node.http().post("/api/v1/gateways", "{\"name\": \"x\"}", ADMIN), 400, "missing_field");
    ProvisionerFixture.assertError(fx.node.http().post("/api/v1/gateways", "{\"name\": \"x\", \"baseUrl\": \"ftp://gw\"}", ADMIN), 400, "invalid_base_url");
    ProvisionerFixture.assertError(fx.node.http().post("/api/v1/gateways", "{\"name\": \"x\", \"baseUrl\": \"http://u:p@gw\"}", ADMIN), 400, "invalid_base_url");
    ProvisionerFixture.assertError(fx.node.http().post("/api/v1/gateways", "{\"name\": \"x\", \"baseUrl\": \"http://gw\", \"templateVersion\": 0}", ADMIN),
        400, "invalid_field");
    ProvisionerFixture.assertError(fx.node.http().post("/api/v1/gateways", "[1]", ADMIN), 400, "malformed_json");
    ProvisionerFixture.assertError(fx.node.http().get("/api/v1/gateways?limit=0", ADMIN), 400, "invalid_query");
    ProvisionerFixture.assertError(fx.node.http().post(agents, "{\"gatewayId\": \"nope\", \"name\": \"a\"}", ADMIN), 400, "invalid_id");
    ProvisionerFixture.assertError(fx.node.http().post(agents, "{\"gatewayId\": \"" + fx.gatewayId + "\"}", ADMIN), 400, "missing_field");
    ProvisionerFixture.assertError(fx.node.http().post(agents, "{\"gatewayId\": \"" + UUID.randomUUID() + "\", \"name\": \"a\"}", ADMIN), 404, "gateway_not_found");
    ProvisionerFixture.assertError(fx.node.http().get(agents + "?status=sleepy", ADMIN), 400, "invalid_query");
    ProvisionerFixture.assertError(fx.node.http().get(agents + "?gatewayId=x", ADMIN), 400, "invalid_query");
    ProvisionerFixture.assertError(fx.node.http().get(agents + "?limit=100000", ADMIN), 400, "invalid_query");
    ProvisionerFixture.assertError(fx.node.http().get(agents + "/nope", ADMIN), 400, "invalid_id");
    ProvisionerFixture.assertError(fx.node.http().get(agents + "/" + UUID.randomUUID(), ADMIN), 404, "agent_not_found");
    ProvisionerFixture.assertError(fx.node.http().get(agents + "/" + UUID.randomUUID() + "/events", ADMIN), 404, "agent_not_found");
    ProvisionerFixture.assertError(fx.node.http().post(agents + "/" + UUID.randomUUID() + "/provision", "", ADMIN), 404, "agent_not_found");
    ProvisionerFixture.assertError(fx.node.http().post(agents + "/" + UUID.randomUUID() + "/wake", "", ADMIN), 404, "agent_not_found");
    ProvisionerFixture.assertError(fx.node.http().delete(agents + "/nope", ADMIN), 400, "invalid_id");
    ProvisionerFixture.assertError(fx.node.http().post("/api/v1/tasks", "{}", ADMIN), 400, "invalid_target");
    ProvisionerFixture.assertError(fx.node.http().post("/api/v1/tasks", "{\"gatewayId\": \"" + fx.gatewayId + "\", \"payload\": 3}", ADMIN), 400, "invalid_payload");
    ProvisionerFixture.assertError(fx.node.http().post("/api/v1/tasks", "{\"gatewayId\": \"" + fx.gatewayId + "\", \"maxAttempts\": 0}", ADMIN), 400, "invalid_field");
    ProvisionerFixture.assertError(fx.node.http().post("/api/v1/tasks", "{\"gatewayId\": \"" + UUID.randomUUID() + "\"}", ADMIN), 404, "gateway_not_found");
    ProvisionerFixture.assertError(fx.node.http().get("/api/v1/tasks/" + UUID.randomUUID(), ADMIN), 404, "task_not_found");
    ProvisionerFixture.assertError(fx.node.http().post("/api/v1/gateways", "{\"name\": \"x\", \"baseUrl\": \"http://gw\", \"pad\": \"" + "x".repeat(70_000) + "\"}",
        ADMIN), 413, "body_too_large");
    // Nothing above created anything.
    assertThat(fx.node.http().get(agents + "?gatewayId=" + fx.gatewayId, ADMIN).json().getJsonArray("agents")).isEmpty();
    assertThat(fx.node.http().get("/api/v1/gateways", ADMIN).json().getJsonArray("gateways")).hasSize(1);
    // And without the admin token, nothing at all.
    ProvisionerFixture.assertError(fx.node.http().get(agents, Map.of()), 401, "operator_unauthorized");
    ProvisionerFixture.assertError(fx.node.http().post(agents, "{}", Map.of("Authorization", "Bearer wrong-token-0123456789")), 401, "operator_unauthorized");
    ProvisionerFixture.assertError(fx.node.http().post("/api/v1/tasks", "{}", Map.of()), 401, "operator_unauthorized");
  }
}
