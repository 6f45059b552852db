package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TestHttp;
import dev.rollcall.core.testing.TestServers;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A whole node in this JVM, on one port, against the real test servers; driven over real HTTP. */
@ExtendWith(RealServersExtension.class)
class NodeHttpTest {
  static final String ADMIN_TOKEN = "test-admin-token-0123456789";
  static final java.util.Map<String, String> ADMIN = java.util.Map.of("Authorization", "Bearer " + ADMIN_TOKEN);
  private static Node node;
  private static TestHttp http;

  @BeforeAll
  static void start() {
    TestServers servers = TestServers.get();
    RollcallConfig config = RollcallConfig.of(Map.of(
        Setting.PG_URL, servers.pgUrl(),
        Setting.REDIS_URL, servers.redisUrl(),
        Setting.HTTP_HOST, "127.0.0.1",
        Setting.HTTP_PORT, "0",
        Setting.ADMIN_TOKEN, ADMIN_TOKEN,
        Setting.HTTP_INSTANCES, "2",
        Setting.BODY_LIMIT, "1024"));
    List<dev.rollcall.core.node.RollcallModule> modules = new ArrayList<>(Modules.dev());
    modules.add(new ProbeModule());
    node = Node.start(config, Node.Mode.DEV, modules);
    http = new TestHttp(node.listeners().get(0).url());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void withPortZeroAgentsAreHandedTheRealPort() {
    // Gateways pass publicUrl to the agents they start: it must name the port chosen at run time, not 0.
    assertThat(node.context().config().publicUrl()).isEqualTo(node.listeners().get(0).url());
  }

  @Test
  void readinessChecksPostgresRedisAndTheEventBus() {
    TestHttp.Response ready = http.get("/health/ready");
    assertThat(ready.status()).isEqualTo(200);
    JsonObject body = ready.json();
    assertThat(body.getString("status")).isEqualTo("UP");
    assertThat(body.getJsonArray("checks").stream().map(c -> ((JsonObject) c).getString("id")).toList())
        .containsExactlyInAnyOrder("postgresql", "redis", "event-bus");
    assertThat(body.getJsonArray("checks").stream().map(c -> ((JsonObject) c).getString("status")).distinct().toList())
        .containsExactly("UP");
    assertThat(http.get("/health/live").status()).isEqualTo(200);
  }

  @Test
  void metricsExposeVertxJvmAndRollcallMeters() {
    http.get("/health/live");
    TestHttp.Response metrics = http.get("/metrics");
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.body())
        .contains("rollcall_build_info{")
        .contains("vertx_http_server_requests_total{")
        .contains("vertx_eventbus_handlers{")
        .contains("jvm_memory_used_bytes{");
  }

  @Test
  void oneListenerServesAgentAndOperatorRoutesOfEveryModule() {
    TestHttp.Response agent = http.post("/api/v1/probe/agent", "{\"name\":\"ada\"}", Map.of());
    assertThat(agent.status()).isEqualTo(200);
    assertThat(agent.json().getString("hello")).isEqualTo("ada");
    String id = "3f2b8f4e-5b7a-4d8e-9c1a-2b3c4d5e6f70";
    assertThat(http.get("/api/v1/probe/operator/" + id, ADMIN).json().getString("id")).isEqualTo(id);
  }

  @Test
  void badInputGetsAClearJsonErrorNeverA500() {
    assertError(http.get("/api/v1/nothing-here", ADMIN), 404, "route_not_found");
    assertError(http.get("/nothing-here"), 404, "route_not_found");
    assertError(http.get("/api/v1/probe/operator/not-a-uuid", ADMIN), 400, "invalid_id");
    assertError(http.get("/api/v1/probe/operator/1-1-1-1-1", ADMIN), 400, "invalid_id");
    assertError(http.post("/api/v1/probe/agent", "{not json", Map.of()), 400, "malformed_json");
    assertError(http.post("/api/v1/probe/agent", "[1,2]", Map.of()), 400, "malformed_json");
    assertError(http.post("/api/v1/probe/agent", "", Map.of()), 400, "body_required");
    assertError(http.post("/api/v1/probe/agent", "{\"name\": 42}", Map.of()), 400, "missing_field");
    assertError(http.post("/api/v1/probe/agent", "{\"name\": \"" + "x".repeat(21) + "\"}", Map.of()), 400, "field_too_long");
    assertError(http.post("/api/v1/probe/agent", "{\"name\": \"" + "x".repeat(2000) + "\"}", Map.of()), 413, "body_too_large");
  }

  @Test
  void unexpectedFailureIsAnOpaque500() {
    TestHttp.Response boom = http.get("/api/v1/probe/boom", ADMIN);
    assertError(boom, 500, "internal");
    assertThat(boom.body()).doesNotContain("internal detail");
    assertThat(boom.json().getBoolean("retryable")).isTrue();
  }

  @Test
  void operatorApiRefusesWithoutTheAdminTokenButAgentRoutesDoNotNeedIt() {
    String path = "/api/v1/probe/operator/3f2b8f4e-5b7a-4d8e-9c1a-2b3c4d5e6f70";
    assertError(http.get(path), 401, "operator_unauthorized");
    assertError(http.get(path, java.util.Map.of("Authorization", "Bearer wrong-token-0123456789")), 401, "operator_unauthorized");
    assertError(http.get("/api/v1/nothing-here"), 401, "operator_unauthorized");
    assertThat(http.get(path, ADMIN).status()).isEqualTo(200);
    assertThat(http.post("/api/v1/probe/agent", "{\"name\":\"ada\"}", java.util.Map.of()).status()).isEqualTo(200);
  }

  @Test
  void bannerSaysWhereTheNodeListens() {
    assertThat(node.banner()).contains(node.listeners().get(0).url()).contains("/metrics").contains("PostgreSQL: postgresql://");
  }

  private static void assertError(TestHttp.Response response, int status, String error) {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.header("content-type")).startsWith("application/json");
    JsonObject body = response.json();
    assertThat(body.getString("error")).isEqualTo(error);
    assertThat(body.getString("message")).isNotBlank();
    assertThat(body.containsKey("retryable")).isTrue();
  }
}
