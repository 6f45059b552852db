package dev.rollcall.provisioner;

import dev.rollcall.core.testing.TestGateway;
import static dev.rollcall.core.testing.TestNode.ADMIN;
import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.config.Setting;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.persistence.AgentChange;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.LifecycleEventRecord;
import dev.rollcall.core.persistence.TransitionResult;
import dev.rollcall.core.testing.JumpClock;
import dev.rollcall.core.testing.TestHttp;
import dev.rollcall.core.testing.TestNode;
import dev.rollcall.token.TokenModule;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;

/**
 * A test node running the token and provisioner modules against the shared PostgreSQL and Redis, one
 * real HTTP {@link TestGateway} registered with it, and the helpers the provisioner's tests share.
 */
final class ProvisionerFixture {
  TestGateway gateway;
  TestNode node;
  /** Real time, so backoffs and windows pass by themselves; a test that must outlast one jumps ({@link #advance}). */
  final JumpClock clock = new JumpClock();
  private final ProvisionerModule provisioner = new ProvisionerModule();
  String gatewayId;
  final Map<UUID, String> credentials = new ConcurrentHashMap<>();

  void start() {
    gateway = new TestGateway();
    node = TestNode.start(clock, Map.of(
            Setting.GATEWAY_TIMEOUT, "400ms",
            Setting.BUS_TIMEOUT, "1s", // with the gateway timeout: a stale provision is taken over after 1.8 s
            Setting.TASK_RETRY_BACKOFF, "10ms",
            Setting.START_CONFIRM_WINDOW, "2s",
            Setting.DISPATCH_INTERVAL, "50ms",
            Setting.BREAKER_FAILURES, "2",
            Setting.BREAKER_COOLDOWN, "2s"),
        List.of(new TokenModule(), provisioner));
    TestHttp.Response created = node.http().post("/api/v1/gateways",
        new JsonObject().put("name", "gw-" + UUID.randomUUID()).put("baseUrl", gateway.url()).put("templateVersion", 2).encode(), ADMIN);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    gatewayId = created.json().getString("id");
  }

  /**
   * Moves the clock ahead by {@code by} instead of waiting that long, then runs two dispatch passes to
   * completion: one that would re-claim, roll back or dispatch what came due meanwhile, and one that
   * would dispatch again what the first put back.
   */
  void advance(Duration by) {
    clock.advance(by);
    dispatchPass();
    dispatchPass();
  }

  /** One dispatch pass, started now or after the one under way, run to completion. */
  void dispatchPass() {
    await(provisioner.verticle().dispatchPassNow());
  }

  void stop() {
    node.close();
    gateway.close();
  }

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
