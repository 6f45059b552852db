package dev.rollcall.token;

import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.bus.TokenMessages;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.testing.MutableClock;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TestHttp;
import dev.rollcall.core.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Credentials with a lifetime: a successor arrives well before expiry, so there is no 401 gap. */
@ExtendWith(RealServersExtension.class)
class CredentialLifetimeTest {
  private MutableClock clock;
  private TestNode node;

  @BeforeEach
  void start() {
    clock = new MutableClock(Instant.now());
    node = TestNode.start(clock, Map.of(Setting.CREDENTIAL_LIFETIME, "30m"), List.of(new TokenModule()));
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  void aLongRunningAgentSwitchesToItsSuccessorBeforeExpiryAndNeverSeesA401() {
    AgentRecord agent = newAgent("long-runner");
    JsonObject registered = register(agent);
    assertThat(registered.getString("expiresAt")).isNotNull();

    // An agent that calls every minute for two hours, and takes a successor when it is handed one.
    String credential = registered.getString("credential");
    int successors = 0;
    for (int minute = 0; minute < 120; minute++) {
      TestHttp.Response r = node.http().get("/api/v1/agents/" + agent.id() + "/credential", Map.of("X-Agent-Token", credential));
      assertThat(r.status()).as("minute %d: %s", minute, r.body()).isEqualTo(200);
      JsonObject successor = r.json().getJsonObject("successor");
      if (successor != null) {
        assertThat(Duration.between(clock.instant(), Instant.parse(r.json().getString("expiresAt"))))
            .as("handed over with a third of the lifetime left").isLessThanOrEqualTo(Duration.ofMinutes(10));
        String previous = credential;
        credential = successor.getString("credential");
        successors++;
        String used = credential;
        assertThat(node.http().get("/api/v1/agents/" + agent.id() + "/credential", Map.of("X-Agent-Token", used)).status()).isEqualTo(200);
        // Using the successor retires its predecessor.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(3)).until(() ->
            node.http().get("/api/v1/agents/" + agent.id() + "/credential", Map.of("X-Agent-Token", previous)).status() == 401);
      }
      clock.advance(Duration.ofMinutes(1));
    }
    assertThat(successors).isBetween(4, 7);
  }

  @Test
  void noSuccessorBeforeTheRenewalWindow() {
    AgentRecord agent = newAgent("fresh");
    String credential = register(agent).getString("credential");
    clock.advance(Duration.ofMinutes(15));
    TestHttp.Response r = node.http().get("/api/v1/agents/" + agent.id() + "/credential", Map.of("X-Agent-Token", credential));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().containsKey("successor")).isFalse();
  }

  private AgentRecord newAgent(String name) {
    var gw = await(node.context().gatewayRepository().create("gw-" + name, "http://127.0.0.1:1", 1));
    return await(node.context().agentRepository().create(gw.id(), name, 1));
  }

  private JsonObject register(AgentRecord agent) {
    JsonObject ticket = await(node.vertx().eventBus().<JsonObject>request(Addresses.TOKEN_ISSUE_TICKET,
        new TokenMessages.IssueTicket(agent.id(), agent.provisionEpoch()).toJson())).body();
    return node.http().post("/api/v1/agents/" + agent.id() + "/register",
        new JsonObject().put("ticket", ticket.getString("ticket")).put("instanceId", "box").encode(), Map.of()).json();
  }
}
