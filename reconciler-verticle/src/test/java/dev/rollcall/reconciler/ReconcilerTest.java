package dev.rollcall.reconciler;

import static dev.rollcall.core.lifecycle.LifecycleEventNames.QUEUE_ENQUEUED;
import static dev.rollcall.core.lifecycle.LifecycleEventNames.RECONCILE_DEFERRED;
import static dev.rollcall.core.lifecycle.LifecycleEventNames.RECONCILE_MAX_ATTEMPTS_REACHED;
import static dev.rollcall.core.lifecycle.LifecycleEventNames.RECONCILE_RETRIGGERED;
import static dev.rollcall.core.lifecycle.LifecycleEventNames.RECONCILE_SKIP_NOT_STUCK;
import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.config.Setting;
import dev.rollcall.core.due.DueQueue;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.testing.TestHttp;
import dev.rollcall.core.testing.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The reconciler in a running control plane: real PostgreSQL and Redis, real HTTP gateways, agents that
 * register and heartbeat over HTTP. Seed 01's lifecycle end to end, liveness loss without flapping, two
 * reconcilers on one queue, a Redis that loses everything, and mass silence.
 */
class ReconcilerTest {
  private static final Duration SEED01_TIMEOUT = Duration.ofSeconds(20);
  private ControlPlane plane;

  @AfterEach
  void tearDown() {
    if (plane != null) {
      plane.close();
    }
  }

  @Test
  void seed01_healthySecondWakeAndNeverCheckingInAgentsEachConvergeAsTheSeedSays() {
    plane = ControlPlane.start(Map.of(), 1);
    UUID healthy = plane.createAgent(0, "healthy");
    UUID secondWake = plane.createAgent(0, "second-wake");
    UUID never = plane.createAgent(0, "never");

    plane.startAgent(0, healthy);
    // The second one stays down through its first wake and starts when the reconciler wakes it again.
    Awaitility.await().atMost(SEED01_TIMEOUT).until(() -> plane.wakes(0, secondWake) >= 2);
    plane.startAgent(0, secondWake);

    AgentRecord healthyAgent = plane.awaitStatus(healthy, LifecycleStatus.READY, SEED01_TIMEOUT);
    AgentRecord second = plane.awaitStatus(secondWake, LifecycleStatus.READY, SEED01_TIMEOUT);
    AgentRecord gaveUp = plane.awaitStatus(never, LifecycleStatus.OFFLINE, SEED01_TIMEOUT);

    // Healthy: woken once, checked in, escalation reset.
    assertThat(plane.wakes(0, healthy)).isEqualTo(1);
    assertThat(healthyAgent.wakeAttempts()).isZero();
    assertThat(healthyAgent.checkinDeadline()).isNull();
    assertThat(plane.events(healthy)).contains(QUEUE_ENQUEUED, RECONCILE_SKIP_NOT_STUCK).doesNotContain(RECONCILE_RETRIGGERED);

    // Checked in on the second wake: one retrigger, then reset.
    assertThat(second.wakeAttempts()).isZero();
    assertThat(Collections.frequency(plane.events(secondWake), RECONCILE_RETRIGGERED)).isEqualTo(1);
    assertThat(plane.events(secondWake)).contains(RECONCILE_SKIP_NOT_STUCK);

    // Never checked in: offline after exactly three wakes, with the error, and seed 01's event sequence.
    assertThat(gaveUp.wakeAttempts()).isEqualTo(3);
    assertThat(gaveUp.lastProvisionError()).contains("no check-in after 3 wakes");
    assertThat(gaveUp.statusReason()).contains("no check-in after 3 wakes");
    assertThat(gaveUp.recoveryAt()).as("recovery probes are off here: seed 01's exact behaviour").isNull();
    List<String> events = plane.events(never);
    assertThat(events).containsSubsequence(QUEUE_ENQUEUED, RECONCILE_DEFERRED, RECONCILE_RETRIGGERED, QUEUE_ENQUEUED,
        RECONCILE_RETRIGGERED, QUEUE_ENQUEUED, RECONCILE_MAX_ATTEMPTS_REACHED);
    assertThat(Collections.frequency(events, RECONCILE_RETRIGGERED)).isEqualTo(2);
    assertThat(Collections.frequency(events, RECONCILE_MAX_ATTEMPTS_REACHED)).isEqualTo(1);
    // Escalation stopped: three more deadlines pass without a fourth wake. The clock moves past them and
    // the reconciler ticks and sweeps: a due entry left for the agent, or a sweep that queued it, would wake it.
    plane.advance(Duration.ofSeconds(3));
    assertThat(plane.wakes(0, never)).isEqualTo(3);
    assertThat(plane.find(never).status()).isEqualTo(LifecycleStatus.OFFLINE);
    assertThat(plane.counter("rollcall.reconcile.offline", "reason", "max_attempts_reached")).isEqualTo(1);
  }

  @Test
  void aRecoveryProbeBringsAnAgentBackOnceItsCauseIsFixed() {
    plane = ControlPlane.start(Map.of(Setting.RECOVERY_PROBE, "2s", Setting.RECOVERY_PROBE_MAX, "8s"), 1);
    UUID agent = plane.createAgent(0, "late-fix");
    AgentRecord offline = plane.awaitStatus(agent, LifecycleStatus.OFFLINE, SEED01_TIMEOUT);
    assertThat(offline.recoveryAt()).isNotNull();
    assertThat(offline.recoveryProbes()).isEqualTo(1);
    // The cause is fixed: the agent starts as soon as its gateway provisions it again.
    long provisionsBefore = plane.provisions(0, agent);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> plane.provisions(0, agent) > provisionsBefore);
    plane.startAgent(0, agent);
    AgentRecord back = plane.awaitStatus(agent, LifecycleStatus.READY, Duration.ofSeconds(10));
    assertThat(back.recoveryProbes()).as("a check-in resets the probe backoff").isZero();
  }

  @Test
  void aSilentAgentIsSuspectThenOfflineWithTheReasonAndIsRecoveredWhileABlipCausesNoChurn() {
    plane = ControlPlane.start(Map.of(), 1);
    List<ControlPlane.SimAgent> agents = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      UUID id = plane.createAgent(0, "a" + i);
      agents.add(plane.startAgent(0, id));
    }
    for (ControlPlane.SimAgent a : agents) {
      plane.awaitStatus(a.id, LifecycleStatus.READY, SEED01_TIMEOUT);
    }
    ControlPlane.SimAgent crashed = agents.get(0);
    ControlPlane.SimAgent blipped = agents.get(1);
    crashed.stop();
    blipped.stop();
    // The blip: silent for a little more than one lease (900 ms), well inside lease + suspicion (1.9 s):
    // it ends as soon as the reconciler has seen the lease lapse, a second before a verdict could come.
    Awaitility.await().atMost(SEED01_TIMEOUT).pollInterval(Duration.ofMillis(20))
        .until(() -> plane.events(blipped.id).contains(LifecycleTrigger.LEASE_LAPSED.eventName()));
    blipped.resume();

    // Recovered one check-in deadline (1 s here) after the verdict: re-provisioned, a new instance.
    Awaitility.await().atMost(SEED01_TIMEOUT).until(() -> plane.provisions(0, crashed.id) >= 2);
    List<String> events = plane.events(crashed.id);
    assertThat(events).containsSubsequence(LifecycleTrigger.LEASE_LAPSED.eventName(), LifecycleTrigger.LEASE_EXPIRED.eventName(),
        LifecycleTrigger.PROVISION_REQUESTED.eventName());
    assertThat(plane.counter("rollcall.reconcile.offline", "reason", "lease_expired")).isEqualTo(1);

    // The blipped agent and the steady ones never went offline, also once more than lease + suspicion has
    // passed again (the clock moves 2 s with them heartbeating, as they do).
    plane.advance(Duration.ofSeconds(2));
    for (ControlPlane.SimAgent a : agents.subList(1, agents.size())) {
      assertThat(plane.events(a.id)).as(a.id.toString()).doesNotContain(LifecycleTrigger.LEASE_EXPIRED.eventName());
      AgentRecord record = plane.find(a.id);
      assertThat(record.status()).isEqualTo(LifecycleStatus.READY);
      assertThat(record.suspectSince()).as("suspicion cleared").isNull();
    }
  }

  @Test
  void seed04_aDeliveredTaskWhoseAgentWentOfflineGoesBackToTheQueueInTheSameTransaction() {
    plane = ControlPlane.start(Map.of(), 1);
    ControlPlane.SimAgent worker = plane.startAgent(0, plane.createAgent(0, "worker"));
    plane.awaitStatus(worker.id, LifecycleStatus.READY, SEED01_TIMEOUT);
    TestHttp.Response created = plane.node.http().post("/api/v1/tasks",
        new JsonObject().put("agentId", worker.id.toString()).put("payload", new JsonObject().put("job", 1)).encode(), TestNode.ADMIN);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String taskId = created.json().getString("id");
    Awaitility.await().atMost(SEED01_TIMEOUT).until(() -> "delivered".equals(task(taskId).getString("state")));
    assertThat(plane.find(worker.id).status()).isEqualTo(LifecycleStatus.BUSY);

    worker.stop(); // the agent dies with its task in hand
    Awaitility.await().atMost(SEED01_TIMEOUT).until(() -> plane.events(worker.id).contains(LifecycleTrigger.LEASE_EXPIRED.eventName()));
    JsonObject task = task(taskId);
    assertThat(task.getString("state")).as(task.encodePrettily()).isIn("queued", "dispatched");
    assertThat(task.encode()).contains("the agent went offline");
  }

  @Test
  void aBusyAgentWithoutALiveTaskIsReturnedToReady() {
    plane = ControlPlane.start(Map.of(Setting.STUCK_BUSY_AFTER, "1s"), 1);
    ControlPlane.SimAgent agent = plane.startAgent(0, plane.createAgent(0, "stuck-busy"));
    AgentRecord ready = plane.awaitStatus(agent.id, LifecycleStatus.READY, SEED01_TIMEOUT);
    // Busy with no task behind it, as a dispatch whose task row was lost would leave it.
    await(plane.node.context().agentRepository().transition(ready, LifecycleTrigger.TASK_DISPATCHED,
        dev.rollcall.core.persistence.AgentChange.none(), null));
    assertThat(plane.find(agent.id).status()).isEqualTo(LifecycleStatus.BUSY);
    AgentRecord back = plane.awaitStatus(agent.id, LifecycleStatus.READY, Duration.ofSeconds(10));
    assertThat(back.statusReason()).contains("without a live task");
  }

  @Test
  void anAgentThatLostItsCredentialIsReprovisionedWithAFreshTicketKeepingItsWakeBudget() {
    plane = ControlPlane.start(Map.of(), 1);
    ControlPlane.SimAgent agent = plane.startAgent(0, plane.createAgent(0, "amnesiac"));
    plane.awaitStatus(agent.id, LifecycleStatus.READY, SEED01_TIMEOUT);
    // Its credential is revoked; its next heartbeat is refused and the agent is flagged for a rebootstrap.
    await(plane.node.vertx().eventBus().request(dev.rollcall.core.bus.Addresses.TOKEN_REVOKE_AGENT,
        new JsonObject().put("agentId", agent.id.toString()).put("reason", "test: credential lost")));
    agent.stop();
    // The revocation fact reaches the HTTP event loop's credential cache asynchronously (within its 1 s
    // poll at worst): a heartbeat sent the same instant may still be accepted.
    TestHttp.Response refused = Awaitility.await().atMost(Duration.ofMillis(1500)).pollInterval(Duration.ofMillis(20))
        .until(agent::heartbeat, r -> r.status() != 200);
    assertThat(refused.status()).as(refused.body()).isEqualTo(401);
    assertThat(refused.json().getString("recovery")).isEqualTo("rebootstrap");

    Awaitility.await().atMost(SEED01_TIMEOUT).until(() -> plane.provisions(0, agent.id) >= 2);
    var requested = await(plane.node.context().agentRepository().events(agent.id, 0, 200)).stream()
        .filter(e -> e.name().equals(LifecycleTrigger.PROVISION_REQUESTED.eventName())).toList();
    assertThat(requested.get(requested.size() - 1).detail().getBoolean("keepWakeBudget")).isTrue();
    // The fresh ticket works: the new instance registers and is ready, no longer flagged.
    plane.startAgent(0, agent.id);
    AgentRecord back = plane.awaitStatus(agent.id, LifecycleStatus.READY, SEED01_TIMEOUT);
    assertThat(back.needsRebootstrap()).isFalse();
    assertThat(back.provisionEpoch()).isEqualTo(2);
  }

  @Test
  void anOfflineAgentThatHeartbeatsAgainReturnsWithoutBeingReplaced() {
    plane = ControlPlane.start(Map.of(Setting.CHECKIN_DEADLINE, "5s"), 1);
    ControlPlane.SimAgent agent = plane.startAgent(0, plane.createAgent(0, "cut-off"));
    plane.awaitStatus(agent.id, LifecycleStatus.READY, SEED01_TIMEOUT);
    agent.stop(); // a network cut: the agent runs on
    AgentRecord offline = plane.awaitStatus(agent.id, LifecycleStatus.OFFLINE, SEED01_TIMEOUT);
    assertThat(offline.statusReason()).startsWith("no heartbeat since");
    agent.resume(); // the cut heals within the check-in deadline
    AgentRecord back = plane.awaitStatus(agent.id, LifecycleStatus.READY, Duration.ofSeconds(4));
    assertThat(back.provisionEpoch()).as("the same instance, not a replacement").isEqualTo(1);
    // Past the 5 s check-in deadline the offline verdict started: a replacement scheduled then would be due.
    plane.advance(Duration.ofSeconds(6));
    assertThat(plane.provisions(0, agent.id)).isEqualTo(1);
    assertThat(plane.find(agent.id).status()).isEqualTo(LifecycleStatus.READY);
  }

  @Test
  void twoReconcilersShareOneQueueWithoutHandlingAnAgentTwice() {
    plane = ControlPlane.start(Map.of(Setting.MAX_WAKE_ATTEMPTS, "2"), 1);
    TestNode second = plane.startSecondNode(Map.of(Setting.MAX_WAKE_ATTEMPTS, "2"));
    List<UUID> agents = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      agents.add(plane.createAgent(0, "never-" + i));
    }
    for (UUID id : agents) {
      plane.awaitStatus(id, LifecycleStatus.OFFLINE, SEED01_TIMEOUT);
    }
    for (UUID id : agents) {
      List<String> events = plane.events(id);
      assertThat(Collections.frequency(events, RECONCILE_RETRIGGERED)).as(id + ": " + events).isEqualTo(1);
      assertThat(Collections.frequency(events, RECONCILE_MAX_ATTEMPTS_REACHED)).as(id + ": " + events).isEqualTo(1);
      assertThat(plane.wakes(0, id)).isEqualTo(2);
    }
    double first = plane.counter("rollcall.reconcile.passes", "outcome", "retriggered");
    double other = second.meters().find("rollcall.reconcile.passes").tag("outcome", "retriggered").counter() == null ? 0
        : second.meters().find("rollcall.reconcile.passes").tag("outcome", "retriggered").counter().count();
    assertThat(first + other).as("each retrigger decided once, on one node or the other").isEqualTo(40);
  }

  @Test
  void anEntryClaimedByANodeThatDiedIsHandledByAnotherAfterTheVisibilityTimeout() {
    plane = ControlPlane.start(Map.of(Setting.CLAIM_VISIBILITY, "2s", Setting.CHECKIN_DEADLINE, "4s"), 1);
    UUID agent = plane.createAgent(0, "orphaned");
    // After the first wake the live reconciler deferred the agent to its check-in deadline.
    Awaitility.await().atMost(SEED01_TIMEOUT).until(() -> plane.events(agent).contains(RECONCILE_DEFERRED));
    Instant deadline = plane.find(agent).checkinDeadline().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    Awaitility.await().atMost(SEED01_TIMEOUT).until(() -> await(DueQueue.dueAt(plane.node.context().redis(), agent))
        .filter(deadline::equals).isPresent());
    // Another node claims the entry when it comes due (2 s visibility) and dies before completing it.
    List<DueQueue.Claim> dead = await(DueQueue.claim(plane.node.context().redis(), deadline, Duration.ofSeconds(2), 1000))
        .stream().filter(c -> c.agentId().equals(agent)).toList();
    assertThat(dead).hasSize(1);

    // Nobody touches the agent while the dead node's claim hides it; then the live reconciler takes it.
    Awaitility.await().atMost(SEED01_TIMEOUT).until(() -> plane.wakes(0, agent) >= 2);
    Instant secondWake = Instant.now();
    assertThat(secondWake).as("handled only after the dead claim expired").isAfterOrEqualTo(deadline.plusSeconds(2));
    assertThat(Collections.frequency(plane.events(agent), RECONCILE_RETRIGGERED)).isEqualTo(1);
  }

  @Test
  void redisLosingEverythingMidRunRebuildsTheQueueAndNoHealthyAgentIsJudgedOffline() {
    plane = ControlPlane.start(Map.of(), 1);
    List<ControlPlane.SimAgent> healthy = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      healthy.add(plane.startAgent(0, plane.createAgent(0, "h" + i)));
    }
    UUID never = plane.createAgent(0, "never");
    for (ControlPlane.SimAgent a : healthy) {
      plane.awaitStatus(a.id, LifecycleStatus.READY, SEED01_TIMEOUT);
    }
    Awaitility.await().atMost(SEED01_TIMEOUT).until(() -> plane.wakes(0, never) >= 1);

    await(plane.node.context().redis().send(Request.cmd(Command.FLUSHALL)));

    AgentRecord gaveUp = plane.awaitStatus(never, LifecycleStatus.OFFLINE, SEED01_TIMEOUT);
    assertThat(gaveUp.wakeAttempts()).isEqualTo(3);
    // Lease + suspicion pass again with the healthy agents heartbeating: leases lost in the flush and not
    // written since would be judged now.
    plane.advance(Duration.ofSeconds(3));
    for (ControlPlane.SimAgent a : healthy) {
      assertThat(plane.find(a.id).status()).isEqualTo(LifecycleStatus.READY);
      assertThat(plane.events(a.id)).doesNotContain(LifecycleTrigger.LEASE_EXPIRED.eventName());
    }
    assertThat(await(DueQueue.depth(plane.node.context().redis())).entries()).as("queue in use again").isGreaterThanOrEqualTo(0);
  }

  @Test
  void whenMostOfOneGatewaysAgentsGoSilentTheGatewayIsUnreachableAndItsAgentsAreProbedOneAtATime() {
    plane = ControlPlane.start(Map.of(Setting.REPROVISION_BURST, "50"), 2);
    List<ControlPlane.SimAgent> onA = new ArrayList<>();
    List<ControlPlane.SimAgent> onB = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      onA.add(plane.startAgent(0, plane.createAgent(0, "a" + i)));
      onB.add(plane.startAgent(1, plane.createAgent(1, "b" + i)));
    }
    for (ControlPlane.SimAgent a : onA) {
      plane.awaitStatus(a.id, LifecycleStatus.READY, SEED01_TIMEOUT);
    }
    for (ControlPlane.SimAgent b : onB) {
      plane.awaitStatus(b.id, LifecycleStatus.READY, SEED01_TIMEOUT);
    }
    int provisionsOnB = plane.gateways.get(1).calls("provision").size();
    // 60 % of gateway A's agents stop at once.
    onA.subList(0, 3).forEach(ControlPlane.SimAgent::stop);

    Awaitility.await().atMost(SEED01_TIMEOUT).until(() -> unreachableSince(0) != null);
    for (ControlPlane.SimAgent silent : onA.subList(0, 3)) {
      Awaitility.await().atMost(SEED01_TIMEOUT).until(() -> plane.events(silent.id).contains(LifecycleTrigger.LEASE_EXPIRED.eventName()));
      assertThat(await(plane.node.context().agentRepository().events(silent.id, 0, 100)).stream()
          .filter(e -> e.name().equals(LifecycleTrigger.LEASE_EXPIRED.eventName())).findFirst().orElseThrow().detail().getString("why"))
          .contains("its gateway is unreachable");
    }
    // Let several probe periods' worth of time pass: recovery is one probe at a time, not a storm.
    // A real wait, not a moved clock: the probe slot is a Redis key that expires by Redis's own time
    // (SET PX in RecoveryGates), which no test clock moves.
    Awaitility.await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
    long reprovisioned = onA.subList(0, 3).stream().filter(a -> plane.provisions(0, a.id) > 1).count();
    // The probe slot lasts 3 s (check-in deadline x wakes) and doubles: at most two probes in this window, never all three.
    assertThat(reprovisioned).as("one probe at a time").isBetween(1L, 2L);
    assertThat(plane.counter("rollcall.reconcile.passes", "outcome", "held_gateway_unreachable")).isPositive();
    // Gateway B and A's remaining agents are untouched.
    assertThat(unreachableSince(1)).isNull();
    assertThat(plane.gateways.get(1).calls("provision")).hasSize(provisionsOnB);
    for (ControlPlane.SimAgent b : onB) {
      assertThat(plane.find(b.id).status()).isEqualTo(LifecycleStatus.READY);
    }
    for (ControlPlane.SimAgent a : onA.subList(3, 5)) {
      assertThat(plane.find(a.id).status()).isEqualTo(LifecycleStatus.READY);
    }
  }

  @Test
  void whenEveryGatewayGoesSilentAtOnceNoAgentIsJudgedOffline() {
    plane = ControlPlane.start(Map.of(), 2);
    List<ControlPlane.SimAgent> all = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      all.add(plane.startAgent(0, plane.createAgent(0, "a" + i)));
      all.add(plane.startAgent(1, plane.createAgent(1, "b" + i)));
    }
    for (ControlPlane.SimAgent a : all) {
      plane.awaitStatus(a.id, LifecycleStatus.READY, SEED01_TIMEOUT);
    }
    all.forEach(ControlPlane.SimAgent::stop);
    // Lease (900 ms) + suspicion (1 s) pass several times over.
    Awaitility.await().atMost(SEED01_TIMEOUT).until(() -> plane.counter("rollcall.reconcile.passes", "outcome", "fleet_silent") > 0);
    plane.advance(Duration.ofSeconds(3));
    for (ControlPlane.SimAgent a : all) {
      assertThat(plane.find(a.id).status()).isEqualTo(LifecycleStatus.READY);
      assertThat(plane.find(a.id).suspectSince()).as("suspect, as evidence").isNotNull();
    }
    assertThat(plane.counter("rollcall.reconcile.offline", "reason", "lease_expired")).isZero();
    // The fleet is heard again: the suspicion clears and nobody ever went offline.
    all.forEach(ControlPlane.SimAgent::resume);
    for (ControlPlane.SimAgent a : all) {
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> plane.find(a.id).suspectSince() == null);
    }
    assertThat(plane.counter("rollcall.reconcile.offline", "reason", "lease_expired")).isZero();
  }

  private JsonObject task(String taskId) {
    TestHttp.Response r = plane.node.http().get("/api/v1/tasks/" + taskId, TestNode.ADMIN);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  private Instant unreachableSince(int gateway) {
    var rows = await(plane.node.context().pool().preparedQuery("SELECT unreachable_since FROM gateways WHERE id = $1")
        .execute(io.vertx.sqlclient.Tuple.of(UUID.fromString(plane.gatewayIds.get(gateway)))));
    var at = rows.iterator().next().getOffsetDateTime(0);
    return at == null ? null : at.toInstant();
  }
}
