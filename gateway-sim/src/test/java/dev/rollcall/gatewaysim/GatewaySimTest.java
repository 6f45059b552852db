package dev.rollcall.gatewaysim;

import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.testing.TestHttp;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The simulator over real HTTP against a scripted control plane (a real HTTP server that answers
 * register and heartbeat): the gateway protocol, an agent's runtime, faults and the admin API.
 */
class GatewaySimTest {
  private Vertx vertx;
  private GatewaySimVerticle sim;
  private TestHttp http;
  private String controlPlane;
  private final List<String> calls = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    Router cp = Router.router(vertx);
    cp.route().handler(BodyHandler.create());
    cp.post("/api/v1/agents/:id/register").handler(rc -> {
      calls.add("register " + rc.body().asJsonObject().getString("instanceId"));
      boolean first = calls.stream().filter(c -> c.startsWith("register")).count() == 1;
      if (first) {
        rc.json(new JsonObject().put("credential", "cred.secretA").put("heartbeatIntervalMs", 50));
      } else {
        rc.response().setStatusCode(409).end(new JsonObject().put("error", "duplicate_instance").encode());
      }
    });
    cp.post("/api/v1/agents/:id/heartbeat").handler(rc -> {
      calls.add("heartbeat " + rc.request().getHeader("X-Agent-Token") + " " + rc.body().asJsonObject().getString("status"));
      rc.json(new JsonObject().put("nextHeartbeatMs", 50));
    });
    HttpServer server = await(vertx.createHttpServer().requestHandler(cp).listen(0, "127.0.0.1"));
    controlPlane = "http://127.0.0.1:" + server.actualPort();
    sim = new GatewaySimVerticle("127.0.0.1", 0, 1, Duration.ofMillis(300), Duration.ofSeconds(60));
    await(vertx.deployVerticle(sim));
    http = new TestHttp(sim.url());
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  @Test
  void aProvisionedAgentRegistersWithItsTicketAndHeartbeatsAtTheToldInterval() {
    assertThat(http.post("/gw/g1/v1/agents/a1/provision", provision("a1", 1), Map.of()).status()).isEqualTo(200);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> calls.stream().filter(c -> c.startsWith("heartbeat")).count() >= 3);
    assertThat(calls.get(0)).startsWith("register sim-a1-e1");
    assertThat(calls).contains("heartbeat cred.secretA ready");
    JsonObject state = http.get("/sim/state").json();
    assertThat(state.getJsonArray("agents").getJsonObject(0).getInteger("maxRegisteredPerEpoch")).isEqualTo(1);
  }

  @Test
  void doubleBootStartsTwoInstancesAndTheRefusedOneStops() {
    assertThat(setFaults("{\"assign\":{\"a2\":\"double-boot\"}}").status()).isEqualTo(200);
    http.post("/gw/g1/v1/agents/a2/provision", provision("a2", 1), Map.of());
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> calls.stream().filter(c -> c.startsWith("register")).count() == 2);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> http.get("/sim/state").json().getJsonArray("agents")
        .getJsonObject(0).getInteger("duplicateRefusals") == 1);
  }

  @Test
  void stuckStartingHeartbeatsStartingAndTaskStartsFailAsTheirProfileSays() {
    setFaults("{\"assign\":{\"a3\":\"stuck-starting\",\"a4\":\"start-failure-false\",\"a5\":\"start-failure-error\"}}");
    http.post("/gw/g1/v1/agents/a3/provision", provision("a3", 1), Map.of());
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> calls.contains("heartbeat cred.secretA starting"));
    http.post("/gw/g1/v1/agents/a4/provision", provision("a4", 1), Map.of());
    http.post("/gw/g1/v1/agents/a5/provision", provision("a5", 1), Map.of());
    String task = new JsonObject().put("taskId", "t1").put("attempt", 1).put("provisionEpoch", 1).encode();
    assertThat(http.post("/gw/g1/v1/agents/a4/tasks", task, Map.of()).json().getBoolean("started")).isFalse();
    assertThat(http.post("/gw/g1/v1/agents/a5/tasks", task, Map.of()).status()).isEqualTo(500);
  }

  @Test
  void aDarkGatewayDropsConnectionsThenReturns() {
    assertThat(http.post("/sim/gateways/g9/outage", "{\"ms\": 400}", Map.of()).status()).isEqualTo(200);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> http.post("/gw/g9/v1/agents/a6/provision", provision("a6", 1), Map.of()))
        .isInstanceOf(RuntimeException.class);
    Awaitility.await().atMost(Duration.ofSeconds(5)).ignoreExceptions()
        .until(() -> http.post("/gw/g9/v1/agents/a6/provision", provision("a6", 1), Map.of()).status() == 200);
  }

  @Test
  void badAdminInputIsAClearError() {
    TestHttp.Response unknown = setFaults("{\"assign\":{\"a7\":\"gremlins\"}}");
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.json().getString("error")).isEqualTo("unknown_profile");
    assertThat(http.post("/sim/gateways/g1/outage", "{\"ms\": -1}", Map.of()).json().getString("error")).isEqualTo("invalid_duration");
    assertThat(http.post("/gw/g1/v1/agents/a1/provision", "not json", Map.of()).status()).isEqualTo(400);
  }

  private TestHttp.Response setFaults(String body) {
    return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(sim.url() + "/sim/faults"))
        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(body)), Map.of());
  }

  private String provision(String agent, long epoch) {
    return new JsonObject().put("agentId", agent).put("name", agent).put("provisionEpoch", epoch).put("bootstrapTicket", "t.s")
        .put("templateVersion", 1).put("controlPlaneUrl", controlPlane).encode();
  }
}
