package dev.rollcall.core.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.bus.AgentTransitioned;
import dev.rollcall.core.http.ApiException;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TestNode;
import dev.rollcall.core.testing.TestServers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The repository against a real PostgreSQL: conditional updates, their events, lost races as typed
 * results. Futures are awaited from the JUnit thread (never an event loop) to keep assertions linear.
 */
@ExtendWith({VertxExtension.class, RealServersExtension.class})
class AgentRepositoryTest {
  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

  private Pool pool;
  private SimpleMeterRegistry meters;
  private List<AgentTransitioned> published;
  private AgentRepository agents;
  private GatewayRepository gateways;
  private TestServers servers;

  @BeforeEach
  void setUp(Vertx vertx, TestServers servers) {
    this.servers = servers;
    pool = Databases.pool(vertx, servers.pgUrl(), 4);
    meters = new SimpleMeterRegistry();
    published = new CopyOnWriteArrayList<>();
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    agents = new AgentRepository(pool, clock, meters, published::add);
    gateways = new GatewayRepository(pool, clock);
  }

  @AfterEach
  void tearDown() {
    await(pool.close());
  }

  @Test
  void createStartsProvisioningAtEpochOneWithACreatedEvent() {
    AgentRecord agent = newAgent("alpha");
    assertThat(agent.status()).isEqualTo(LifecycleStatus.PROVISIONING);
    assertThat(agent.provisionEpoch()).isEqualTo(1);
    assertThat(agent.version()).isZero();
    assertThat(agent.wakeAttempts()).isZero();
    assertThat(agent.createdAt()).isEqualTo(NOW);
    List<LifecycleEventRecord> events = await(agents.events(agent.id(), 0, 100));
    assertThat(events).extracting(LifecycleEventRecord::name).containsExactly("lifecycle.agent.created");
  }

  @Test
  void appliedTransitionWritesStatusColumnsAndItsEventTogether() {
    AgentRecord agent = newAgent("alpha");
    Instant deadline = NOW.plusSeconds(30);
    TransitionResult result = await(agents.transition(agent, LifecycleTrigger.PROVISION_ACCEPTED,
        AgentChange.create().incrementWakeAttempts().checkinDeadline(deadline), new JsonObject().put("gateway", "gw-1")));

    assertThat(result).isInstanceOf(TransitionResult.Applied.class);
    AgentRecord after = ((TransitionResult.Applied) result).agent();
    assertThat(after.status()).isEqualTo(LifecycleStatus.WAKING);
    assertThat(after.version()).isEqualTo(1);
    assertThat(after.wakeAttempts()).isEqualTo(1);
    assertThat(after.checkinDeadline()).isEqualTo(deadline);
    assertThat(after.statusReason()).contains("gateway accepted");
    assertThat(after.statusChangedAt()).isEqualTo(NOW);

    assertThat(await(agents.find(agent.id()))).contains(after);
    LifecycleEventRecord event = await(agents.events(agent.id(), 0, 100)).get(1);
    assertThat(event.name()).isEqualTo("lifecycle.provision.accepted");
    assertThat(event.fromStatus()).isEqualTo("provisioning");
    assertThat(event.toStatus()).isEqualTo("waking");
    assertThat(event.agentVersion()).isEqualTo(1);
    assertThat(event.detail().getString("gateway")).isEqualTo("gw-1");
    assertThat(event.detail().getString("reason")).contains("gateway accepted");
    assertThat(published).containsExactly(new AgentTransitioned(agent.id(), agent.gatewayId(),
        LifecycleStatus.PROVISIONING, LifecycleStatus.WAKING, "lifecycle.provision.accepted", 1, 1));
  }

  @Test
  void twoConcurrentUpdatesOfOneAgentExactlyOneWinsAndExactlyOneEventIsRecorded() {
    // Many rounds, each on a fresh agent: a real race on every round, not one lucky interleaving.
    for (int round = 0; round < 25; round++) {
      AgentRecord starting = toStarting(newAgent("racer-" + round));
      // Both writers read the same version and decide differently: the agent said ready, and the
      // reconciler judged its lease expired. Exactly one of them may win.
      // Alternate which one is sent first so that both sides win some rounds.
      Future<TransitionResult> ready;
      Future<TransitionResult> offline;
      if (round % 2 == 0) {
        ready = agents.transition(starting, LifecycleTrigger.REPORTED_READY, AgentChange.none(), null);
        offline = agents.transition(starting, LifecycleTrigger.LEASE_EXPIRED, AgentChange.create().statusReason("lease expired"), null);
      } else {
        offline = agents.transition(starting, LifecycleTrigger.LEASE_EXPIRED, AgentChange.create().statusReason("lease expired"), null);
        ready = agents.transition(starting, LifecycleTrigger.REPORTED_READY, AgentChange.none(), null);
      }
      List<TransitionResult> results = List.of(await(ready), await(offline));

      assertThat(results).filteredOn(r -> r instanceof TransitionResult.Applied).hasSize(1);
      assertThat(results).filteredOn(r -> r instanceof TransitionResult.LostRace).hasSize(1);
      TransitionResult.LostRace lost = (TransitionResult.LostRace) results.stream()
          .filter(r -> r instanceof TransitionResult.LostRace).findFirst().orElseThrow();
      assertThat(lost.expectedVersion()).isEqualTo(starting.version());
      assertThat(lost.currentVersion()).isEqualTo(starting.version() + 1);

      AgentRecord stored = await(agents.find(starting.id())).orElseThrow();
      assertThat(stored.version()).isEqualTo(starting.version() + 1);
      List<String> raceEvents = await(agents.events(starting.id(), 0, 100)).stream()
          .map(LifecycleEventRecord::name)
          .filter(n -> n.equals("lifecycle.heartbeat.ready") || n.equals("lifecycle.liveness.expired"))
          .toList();
      assertThat(raceEvents).hasSize(1);
      assertThat(stored.status()).isEqualTo(raceEvents.get(0).equals("lifecycle.heartbeat.ready")
          ? LifecycleStatus.READY : LifecycleStatus.OFFLINE);
    }
    assertThat(meters.counter(AgentRepository.METRIC_TRANSITIONS, "trigger", "lifecycle.heartbeat.ready", "outcome", "lost_race").count()
        + meters.counter(AgentRepository.METRIC_TRANSITIONS, "trigger", "lifecycle.liveness.expired", "outcome", "lost_race").count())
        .isEqualTo(25);
  }

  @Test
  void staleReadLosesWithoutWriting() {
    AgentRecord agent = newAgent("alpha");
    applied(agents.transition(agent, LifecycleTrigger.PROVISION_ACCEPTED, AgentChange.none(), null));
    int eventsBefore = await(agents.events(agent.id(), 0, 100)).size();

    TransitionResult result = await(agents.transition(agent, LifecycleTrigger.PROVISION_FAILED,
        AgentChange.create().lastProvisionError("gateway said no"), null));

    assertThat(result).isEqualTo(new TransitionResult.LostRace(agent.id(), 0, 1));
    AgentRecord stored = await(agents.find(agent.id())).orElseThrow();
    assertThat(stored.status()).isEqualTo(LifecycleStatus.WAKING);
    assertThat(stored.lastProvisionError()).isNull();
    assertThat(await(agents.events(agent.id(), 0, 100))).hasSize(eventsBefore);
  }

  @Test
  void illegalTriggerIsRejectedWithoutWriting() {
    AgentRecord agent = newAgent("alpha");
    TransitionResult result = await(agents.transition(agent, LifecycleTrigger.TASK_DISPATCHED, AgentChange.none(), null));
    assertThat(result).isInstanceOf(TransitionResult.Illegal.class);
    assertThat(((TransitionResult.Illegal) result).error())
        .hasMessageContaining("cannot apply lifecycle.dispatch.started to an agent that is provisioning");
    assertThat(await(agents.find(agent.id())).orElseThrow().version()).isZero();
    assertThat(await(agents.events(agent.id(), 0, 100))).hasSize(1);
  }

  @Test
  void legalStayWithoutChangesWritesNothingButWithChangesBumpsTheVersion() {
    AgentRecord ready = applied(agents.transition(toStarting(newAgent("alpha")), LifecycleTrigger.REPORTED_READY, AgentChange.none(), null));

    // Seed 02: a regressive starting heartbeat leaves a ready agent alone.
    TransitionResult regressive = await(agents.transition(ready, LifecycleTrigger.REPORTED_STARTING, AgentChange.none(), null));
    assertThat(regressive).isInstanceOf(TransitionResult.Unchanged.class);
    assertThat(await(agents.find(ready.id())).orElseThrow()).isEqualTo(ready);

    // The same report with liveness to record is a write, but the status still does not move.
    Instant seen = NOW.plusSeconds(5);
    AgentRecord after = applied(agents.transition(ready, LifecycleTrigger.REPORTED_STARTING,
        AgentChange.create().lastSeenAt(seen), null));
    assertThat(after.status()).isEqualTo(LifecycleStatus.READY);
    assertThat(after.lastSeenAt()).isEqualTo(seen);
    assertThat(after.version()).isEqualTo(ready.version() + 1);
    assertThat(after.statusChangedAt()).isEqualTo(ready.statusChangedAt());
    // Only status changes are announced on the bus: registered and ready, not the liveness write.
    assertThat(published).extracting(AgentTransitioned::event)
        .containsExactly("lifecycle.agent.registered", "lifecycle.heartbeat.ready");
  }

  @Test
  void epochBumpAndWakeEscalationAreComputedByTheDatabase() {
    AgentRecord offline = applied(agents.transition(newAgent("alpha"), LifecycleTrigger.PROVISION_FAILED,
        AgentChange.create().lastProvisionError("connection refused"), null));
    assertThat(offline.status()).isEqualTo(LifecycleStatus.OFFLINE);
    assertThat(offline.lastProvisionError()).isEqualTo("connection refused");

    AgentRecord again = applied(agents.transition(offline, LifecycleTrigger.PROVISION_REQUESTED,
        AgentChange.create().bumpProvisionEpoch().wakeAttempts(0).lastProvisionError(null), null));
    assertThat(again.status()).isEqualTo(LifecycleStatus.PROVISIONING);
    assertThat(again.provisionEpoch()).isEqualTo(2);
    assertThat(again.lastProvisionError()).isNull();
    LifecycleEventRecord last = await(agents.events(again.id(), 0, 100)).get(2);
    assertThat(last.provisionEpoch()).isEqualTo(2);
  }

  @Test
  void missingAgentIsNotFound() {
    AgentRecord ghost = newAgent("alpha");
    AgentRecord other = new AgentRecord(UUID.randomUUID(), ghost.gatewayId(), "ghost", LifecycleStatus.READY, null, NOW,
        0, 1, 0, null, null, null, null, null, null, false, false, null, 0, null, NOW, NOW);
    assertThat(await(agents.transition(other, LifecycleTrigger.REPORTED_DEGRADED, AgentChange.none(), null)))
        .isEqualTo(new TransitionResult.NotFound(other.id()));
  }

  @Test
  void createRefusesUnknownGatewayAndDuplicateName() {
    AgentRecord agent = newAgent("alpha");
    Throwable unknown = awaitFailure(agents.create(UUID.randomUUID(), "beta", null));
    assertThat(unknown).isInstanceOf(ApiException.class);
    assertThat(((ApiException) unknown).error().status()).isEqualTo(404);
    assertThat(((ApiException) unknown).error().error()).isEqualTo("gateway_not_found");

    Throwable duplicate = awaitFailure(agents.create(agent.gatewayId(), "alpha", null));
    assertThat(((ApiException) duplicate).error().error()).isEqualTo("agent_name_taken");
    assertThat(((ApiException) duplicate).error().status()).isEqualTo(409);
  }

  @Test
  void observationEventsAreRecordedWithoutMovingTheAgent() {
    AgentRecord agent = newAgent("alpha");
    await(agents.recordEvent(agent, "lifecycle.queue.enqueued", new JsonObject().put("dueAt", NOW.plusSeconds(30).toString())));
    List<LifecycleEventRecord> events = await(agents.events(agent.id(), 0, 100));
    assertThat(events).extracting(LifecycleEventRecord::name).containsExactly("lifecycle.agent.created", "lifecycle.queue.enqueued");
    assertThat(events.get(1).toStatus()).isNull();
    assertThat(await(agents.events(agent.id(), events.get(0).id(), 100))).hasSize(1);
    assertThat(await(agents.find(agent.id())).orElseThrow().version()).isZero();
  }

  @Test
  void schemaAcceptsExactlyTheLifecycleStatuses() {
    String check = servers.query("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        + "WHERE conrelid = 'agents'::regclass AND conname = 'agents_lifecycle_status_check'").get(0);
    List<String> inSchema = new ArrayList<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("'([a-z]+)'").matcher(check);
    while (m.find()) {
      inSchema.add(m.group(1));
    }
    assertThat(inSchema).containsExactlyInAnyOrderElementsOf(
        java.util.Arrays.stream(LifecycleStatus.values()).map(LifecycleStatus::wireName).toList());
  }

  @Test
  void latestEventsAreTheNewestOnesOldestFirst() {
    AgentRecord agent = newAgent("chatty");
    for (int i = 1; i <= 5; i++) {
      await(agents.recordEvent(agent, "test.event." + i, null));
    }
    assertThat(await(agents.latestEvents(agent.id(), 2))).extracting(LifecycleEventRecord::name)
        .containsExactly("test.event.4", "test.event.5");
    assertThat(await(agents.events(agent.id(), 0, 2))).extracting(LifecycleEventRecord::name)
        .containsExactly("lifecycle.agent.created", "test.event.1");
  }

  private AgentRecord newAgent(String name) {
    List<GatewayRecord> existing = await(gateways.list(10));
    GatewayRecord gw = existing.isEmpty() ? await(gateways.create("gw-1", "http://127.0.0.1:1", 1)) : existing.get(0);
    return await(agents.create(gw.id(), name, 1));
  }

  private AgentRecord toStarting(AgentRecord provisioning) {
    return applied(agents.transition(provisioning, LifecycleTrigger.REGISTERED,
        AgentChange.create().registeredAt(NOW.truncatedTo(ChronoUnit.SECONDS)), null));
  }

  private AgentRecord applied(Future<TransitionResult> future) {
    TransitionResult result = await(future);
    assertThat(result).isInstanceOf(TransitionResult.Applied.class);
    return ((TransitionResult.Applied) result).agent();
  }

  private static <T> T await(Future<T> future) {
    return TestNode.await(future);
  }

  private static Throwable awaitFailure(Future<?> future) {
    return TestNode.awaitFailure(future);
  }
}
