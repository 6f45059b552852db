package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.testing.TestGateway;
import dev.rollcall.core.testing.TestHttp;
import dev.rollcall.core.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The operator verbs against a running control plane over real HTTP: tables, --json, and clear errors. */
class OperatorCliTest {
  private TestNode node;
  private TestGateway gateway;
  private String gatewayId;
  private String agentId;
  private Map<String, String> env;

  @BeforeEach
  void setUp() {
    node = TestNode.start(Clock.systemUTC(), Map.of(), Modules.controlPlane());
    gateway = new TestGateway();
    gatewayId = node.http().post("/api/v1/gateways", new JsonObject().put("name", "cli-" + UUID.randomUUID())
        .put("baseUrl", gateway.url()).encode(), TestNode.ADMIN).json().getString("id");
    agentId = node.http().post("/api/v1/agents", new JsonObject().put("gatewayId", gatewayId).put("name", "cli-agent").encode(),
        TestNode.ADMIN).json().getJsonObject("agent").getString("id");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> "waking".equals(
        node.http().get("/api/v1/agents/" + agentId, TestNode.ADMIN).json().getString("lifecycleStatus")));
    env = Map.of("ROLLCALL_ADMIN_TOKEN", TestNode.ADMIN_TOKEN, "ROLLCALL_URL", node.baseUrl());
  }

  @AfterEach
  void tearDown() {
    node.close();
    gateway.close();
  }

  @Test
  void agentsListIsATableAndJsonOnRequest() {
    Run table = run("agents", "list", "--gateway", gatewayId);
    assertThat(table.exit).as(table.err).isZero();
    assertThat(table.out).startsWith("ID").contains("STATUS", "cli-agent", "waking");
    Run json = run("agents", "list", "--gateway", gatewayId, "--json");
    assertThat(new JsonObject(json.out).getJsonArray("agents")).hasSize(1);
  }

  @Test
  void agentsGetShowsEveryFieldAndTheEventTimeline() {
    Run get = run("agents", "get", agentId);
    assertThat(get.exit).as(get.err).isZero();
    assertThat(get.out).contains("lifecycleStatus", "wakeAttempts", "lastProvisionError", "lifecycle.agent.created",
        "lifecycle.queue.enqueued");
  }

  @Test
  void provisionAndWakeAct() {
    Run provision = run("agents", "provision", agentId);
    assertThat(provision.exit).as(provision.err).isZero();
    assertThat(provision.out).contains("provisionEpoch");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> "waking".equals(
        node.http().get("/api/v1/agents/" + agentId, TestNode.ADMIN).json().getString("lifecycleStatus")));
    long wakes = gateway.calls("wake").size();
    Run wake = run("agents", "wake", agentId);
    assertThat(wake.exit).as(wake.err).isZero();
    assertThat(wake.out).contains("wake delivered: true");
    assertThat(gateway.calls("wake")).hasSize((int) wakes + 1);
  }

  @Test
  void gatewaysAndTasks() {
    Run list = run("gateways", "list");
    assertThat(list.exit).isZero();
    assertThat(list.out).contains("TEMPLATE", gatewayId);
    TestHttp.Response task = node.http().post("/api/v1/tasks", new JsonObject().put("gatewayId", gatewayId).encode(), TestNode.ADMIN);
    Run get = run("tasks", "get", task.json().getString("id"));
    assertThat(get.exit).as(get.err).isZero();
    assertThat(get.out).contains("state", "queued", "task.queued");
    // The test gateway has no template sync: the control plane's 502 comes back as one clear line.
    Run sync = run("gateways", "sync", gatewayId, "--rotate-tokens");
    assertThat(sync.exit).isEqualTo(1);
    assertThat(sync.err).contains("502", "gateway_sync_failed");
  }

  @Test
  void gatewaysArePagedByName() {
    node.http().post("/api/v1/gateways", new JsonObject().put("name", "cli-" + UUID.randomUUID()).put("baseUrl", gateway.url()).encode(),
        TestNode.ADMIN);
    Run first = run("gateways", "list", "--limit", "1", "--json");
    JsonObject page = new JsonObject(first.out);
    assertThat(page.getJsonArray("gateways")).hasSize(1);
    String next = page.getString("next");
    assertThat(next).isEqualTo(page.getJsonArray("gateways").getJsonObject(0).getString("name"));
    JsonObject second = new JsonObject(run("gateways", "list", "--limit", "1", "--after", next, "--json").out);
    assertThat(second.getJsonArray("gateways").getJsonObject(0).getString("name")).isGreaterThan(next);
    assertThat(run("gateways", "list", "--limit", "1").out).contains("more: --after " + next);
  }

  @Test
  void errorsAreOneClearLine() {
    Run missing = run("agents", "get", UUID.randomUUID().toString());
    assertThat(missing.exit).isEqualTo(1);
    assertThat(missing.err).contains("404", "agent_not_found");
    Run noToken = runWith(Map.of("ROLLCALL_URL", node.baseUrl()), "agents", "list");
    assertThat(noToken.exit).isEqualTo(2);
    assertThat(noToken.err).contains("ROLLCALL_ADMIN_TOKEN");
  }

  private Run run(String... args) {
    return runWith(env, args);
  }

  private static Run runWith(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(exit, out.toString(), err.toString());
  }

  private record Run(int exit, String out, String err) {
  }
}
