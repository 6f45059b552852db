package dev.rollcall.provisioner;

import dev.rollcall.core.testing.TestGateway;
import static dev.rollcall.core.testing.TestNode.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TestHttp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Seed 04: fenced work dispatch with rollback, over real HTTP against a real gateway. */
@ExtendWith(RealServersExtension.class)
class DispatchTest {
  private final ProvisionerFixture fleet = new ProvisionerFixture();

  @BeforeEach
  void start() {
    fleet.start();
  }

  @AfterEach
  void stop() {
    fleet.stop();
  }

  @Test
  void anErrorOrAPlainFalseRollsTheAgentBackToReadyAndTheTaskIsDispatchedAgain() {
    AgentRecord agent = fleet.readyAgent("worker");
    gateway().starts.add(TestGateway.StartMode.ERROR);
    gateway().starts.add(TestGateway.StartMode.FALSE);
    String taskId = createTask(new JsonObject().put("agentId", agent.id().toString()).put("payload", new JsonObject().put("job", 7)));

    JsonObject delivered = awaitTask(taskId, "delivered");
    assertThat(delivered.getInteger("attempt")).isEqualTo(3);
    assertThat(eventNames(delivered)).containsSubsequence("task.queued", "task.dispatched", "task.rolled_back", "task.dispatched",
        "task.rolled_back", "task.dispatched", "task.delivered");
    assertThat(delivered.getString("meaning")).contains("has not acknowledged");
    JsonArray events = delivered.getJsonArray("events");
    assertThat(events.encode()).contains("start error").contains("start refused").contains("container exited at once");
    // Every rollback is on the agent's record and in its log, not only here.
    assertThat(fleet.eventNames(agent.id().toString())).containsSubsequence("lifecycle.dispatch.started",
        "lifecycle.dispatch.rolled_back", "lifecycle.dispatch.started", "lifecycle.dispatch.rolled_back", "lifecycle.dispatch.started");
    AgentRecord busy = fleet.find(agent.id());
    assertThat(busy.status()).isEqualTo(LifecycleStatus.BUSY);
    assertThat(busy.lastProvisionError()).contains("attempt 2").contains("container exited at once");
    // The gateway saw each attempt numbered.
    assertThat(gateway().calls("start").stream().map(c -> c.body().getInteger("attempt")).toList()).containsExactly(1, 2, 3);

    // A delivered start is never sent again, also after its outbox claim would have lapsed (1.2 s here).
    fleet.advance(Duration.ofMillis(2000));
    assertThat(gateway().calls("start")).hasSize(3);

    // Delivered is not processed: only the agent's ack makes it so, and frees the agent.
    TestHttp.Response ack = report(agent, taskId, "ack", 3);
    assertThat(ack.status()).as(ack.body()).isEqualTo(200);
    assertThat(ack.json().getString("state")).isEqualTo("processed");
    assertThat(fleet.find(agent.id()).status()).isEqualTo(LifecycleStatus.READY);
    assertThat(report(agent, taskId, "ack", 3).status()).as("a repeated ack").isEqualTo(200);
  }

  @Test
  void anAgentWithALiveTaskTakesNoOtherEvenAfterItWentOfflineAndCameBack() {
    AgentRecord agent = fleet.readyAgent("comeback");
    String first = createTask(new JsonObject().put("agentId", agent.id().toString()));
    awaitTask(first, "delivered");
    // The agent blips: offline on a lapsed lease, ready on its next heartbeat. Its task is still live.
    var agents = fleet.node.context().agentRepository();
    AgentRecord busy = fleet.find(agent.id());
    AgentRecord offline = ((dev.rollcall.core.persistence.TransitionResult.Applied) dev.rollcall.core.testing.TestNode.await(
        agents.transition(busy, dev.rollcall.core.lifecycle.LifecycleTrigger.LEASE_EXPIRED,
            dev.rollcall.core.persistence.AgentChange.none(), null))).agent();
    dev.rollcall.core.testing.TestNode.await(agents.transition(offline, dev.rollcall.core.lifecycle.LifecycleTrigger.REPORTED_READY,
        dev.rollcall.core.persistence.AgentChange.none(), null));
    String second = createTask(new JsonObject().put("agentId", agent.id().toString()));
    // Nothing to wait for: the task is due now, so passes that start after it was queued would take it.
    fleet.dispatchPass();
    fleet.dispatchPass();
    assertThat(task(second).getString("state")).as("not two tasks on one agent").isEqualTo("queued");
    assertThat(report(agent, first, "ack", 1).json().getString("state")).isEqualTo("processed");
    assertThat(awaitTask(second, "delivered").getString("agentId")).isEqualTo(agent.id().toString());
  }

  @Test
  void aReprovisionedAgentsLiveTaskGoesBackToTheQueueAndADeletedOnesFails() {
    AgentRecord agent = fleet.readyAgent("replaced-worker");
    String taskId = createTask(new JsonObject().put("agentId", agent.id().toString()));
    awaitTask(taskId, "delivered");
    fleet.gateway.provisionDelayMillis = 200;
    assertThat(fleet.node.http().post("/api/v1/agents/" + agent.id() + "/provision", "", ADMIN).status()).isEqualTo(202);
    JsonObject requeued = task(taskId);
    assertThat(requeued.getString("state")).isEqualTo("queued");
    assertThat(eventNames(requeued)).contains("task.requeued");
    // The old instance finishing its work is told to stop (its credential is of a replaced attempt),
    // not to re-bootstrap: the task will run again, on the new instance.
    TestHttp.Response stale = report(agent, taskId, "ack", 1);
    ProvisionerFixture.assertError(stale, 409, "stale_epoch");
    assertThat(stale.json().getString("message")).contains("must stop");
    assertThat(fleet.find(agent.id()).needsRebootstrap()).isFalse();
    assertThat(task(taskId).getString("state")).isEqualTo("queued");

    AgentRecord other = fleet.readyAgent("deleted-worker");
    String second = createTask(new JsonObject().put("agentId", other.id().toString()));
    awaitTask(second, "delivered");
    assertThat(fleet.node.http().delete("/api/v1/agents/" + other.id(), ADMIN).status()).isEqualTo(200);
    assertThat(task(second).getString("state")).isEqualTo("failed");
    assertThat(task(second).getString("lastError")).contains("deleted");
  }

  @Test
  void aTaskWhoseStartsKeepFailingEndsFailedWithTheLastReason() {
    AgentRecord agent = fleet.readyAgent("doomed-worker");
    gateway().defaultStart = TestGateway.StartMode.FALSE;
    String taskId = createTask(new JsonObject().put("agentId", agent.id().toString()).put("maxAttempts", 2));
    JsonObject failed = awaitTask(taskId, "failed");
    assertThat(failed.getInteger("attempt")).isEqualTo(2);
    assertThat(failed.getString("lastError")).contains("container exited at once");
    assertThat(fleet.find(agent.id()).status()).isEqualTo(LifecycleStatus.READY);
  }

  @Test
  void aTimedOutStartThatDidStartIsConfirmedByItsAttemptsReportAndNotDispatchedAgain() throws Exception {
    AgentRecord agent = fleet.readyAgent("slow-gateway");
    gateway().starts.add(TestGateway.StartMode.HANG);
    String taskId = createTask(new JsonObject().put("agentId", agent.id().toString()));
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> eventNames(task(taskId)).contains("task.start_unconfirmed"));
    // The agent did start it: its report on attempt 1 settles the ambiguity.
    TestHttp.Response started = report(agent, taskId, "started", 1);
    assertThat(started.status()).as(started.body()).isEqualTo(200);
    assertThat(started.json().getString("state")).isEqualTo("delivered");
    // Past the confirmation window (2 s here) nothing rolls it back or dispatches it again.
    fleet.advance(Duration.ofMillis(2500));
    JsonObject after = task(taskId);
    assertThat(after.getString("state")).isEqualTo("delivered");
    assertThat(after.getInteger("attempt")).isEqualTo(1);
    assertThat(gateway().calls("start")).hasSize(1);
    assertThat(report(agent, taskId, "ack", 1).json().getString("state")).isEqualTo("processed");
  }

  @Test
  void anUnconfirmedTimeoutIsRolledBackAndALateReportOfTheOldAttemptIsToldToStop() {
    AgentRecord agent = fleet.readyAgent("lost-start");
    gateway().starts.add(TestGateway.StartMode.HANG);
    String taskId = createTask(new JsonObject().put("agentId", agent.id().toString()));
    JsonObject redelivered = Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
        .until(() -> task(taskId), t -> "delivered".equals(t.getString("state")));
    assertThat(redelivered.getInteger("attempt")).isEqualTo(2);
    assertThat(redelivered.getJsonArray("events").encode()).contains("did not report within");

    TestHttp.Response late = report(agent, taskId, "started", 1);
    ProvisionerFixture.assertError(late, 409, "attempt_superseded");
    assertThat(late.json().getString("action")).isEqualTo("stop");
    ProvisionerFixture.assertError(report(agent, taskId, "ack", 1), 409, "attempt_superseded");
    assertThat(task(taskId).getString("state")).isEqualTo("delivered");
    assertThat(report(agent, taskId, "ack", 2).json().getString("state")).isEqualTo("processed");
  }

  @Test
  void aGatewayWhoseStartsKeepFailingTripsItsBreakerAndRecoversByItself() {
    AgentRecord agent = fleet.readyAgent("breaker");
    gateway().defaultStart = TestGateway.StartMode.ERROR;
    String taskId = createTask(new JsonObject().put("gatewayId", agent.gatewayId().toString()).put("maxAttempts", 50));
    // Two failures open the breaker (settings: 2 failures, 2 s cool-down): starts pause.
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> gateway().calls("start").size() >= 2);
    Awaitility.await().atMost(Duration.ofSeconds(2)).until(() ->
        fleet.nodeMeters().find("rollcall.dispatch.breakers.open").gauge().value() == 1.0);
    int whenOpened = gateway().calls("start").size();
    // Most of the cool-down passes, and the task's retry backoff with it: still no start.
    fleet.advance(Duration.ofMillis(1200));
    assertThat(gateway().calls("start")).as("no starts while open").hasSize(whenOpened);
    // The fault clears; the probe after the cool-down succeeds and dispatch resumes, no operator involved.
    gateway().defaultStart = TestGateway.StartMode.STARTED;
    JsonObject delivered = awaitTask(taskId, "delivered");
    assertThat(delivered.getString("agentId")).isEqualTo(agent.id().toString());
    Awaitility.await().atMost(Duration.ofSeconds(2)).until(() ->
        fleet.nodeMeters().find("rollcall.dispatch.breakers.open").gauge().value() == 0.0);
  }

  @Test
  void onlyTheAssignedAgentReportsOnATaskWithItsOwnCredential() {
    AgentRecord worker = fleet.readyAgent("assigned");
    AgentRecord other = fleet.readyAgent("bystander");
    String taskId = createTask(new JsonObject().put("agentId", worker.id().toString()));
    awaitTask(taskId, "delivered");
    // Another agent's credential on the worker's path: not the worker.
    TestHttp.Response forged = fleet.node.http().post("/api/v1/agents/" + worker.id() + "/tasks/" + taskId + "/ack",
        new JsonObject().put("attempt", 1).encode(), Map.of("X-Agent-Token", fleet.credentials.get(other.id())));
    ProvisionerFixture.assertError(forged, 401, "credential_invalid");
    // The other agent, honestly itself, acking a task that is not its own.
    ProvisionerFixture.assertError(report(other, taskId, "ack", 1), 403, "task_not_assigned");
    ProvisionerFixture.assertError(fleet.node.http().post("/api/v1/agents/" + worker.id() + "/tasks/" + taskId + "/ack",
        "{}", Map.of("X-Agent-Token", fleet.credentials.get(worker.id()))), 400, "missing_field");
    ProvisionerFixture.assertError(report(worker, UUID.randomUUID().toString(), "ack", 1), 404, "task_not_found");
    assertThat(task(taskId).getString("state")).isEqualTo("delivered");
  }

  // --- helpers -------------------------------------------------------------------------------------

  private TestGateway gateway() {
    return fleet.gateway;
  }

  private String createTask(JsonObject body) {
    TestHttp.Response r = fleet.node.http().post("/api/v1/tasks", body.encode(), ADMIN);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(r.json().getString("state")).isEqualTo("queued");
    return r.json().getString("id");
  }

  private JsonObject task(String taskId) {
    TestHttp.Response r = fleet.node.http().get("/api/v1/tasks/" + taskId, ADMIN);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  private JsonObject awaitTask(String taskId, String state) {
    return Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
        .until(() -> task(taskId), t -> state.equals(t.getString("state")));
  }

  private static List<String> eventNames(JsonObject task) {
    return task.getJsonArray("events").stream().map(e -> ((JsonObject) e).getString("name")).toList();
  }

  private TestHttp.Response report(AgentRecord agent, String taskId, String kind, int attempt) {
    return fleet.node.http().post("/api/v1/agents/" + agent.id() + "/tasks/" + taskId + "/" + kind,
        new JsonObject().put("attempt", attempt).encode(), Map.of("X-Agent-Token", fleet.credentials.get(agent.id())));
  }
}
