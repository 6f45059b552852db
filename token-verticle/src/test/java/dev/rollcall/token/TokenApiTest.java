package dev.rollcall.token;

import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.bus.TokenMessages;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.persistence.AgentChange;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.AgentRepository;
import dev.rollcall.core.persistence.LifecycleEventRecord;
import dev.rollcall.core.persistence.TransitionResult;
import dev.rollcall.core.testing.MutableClock;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TestHttp;
import dev.rollcall.core.testing.TestNode;
import dev.rollcall.core.testing.TestServers;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * The token context through its real interfaces: tickets over the bus (as the provisioner asks for
 * them), register and credential checks over HTTP (as agents call them), real PostgreSQL and Redis.
 */
@ExtendWith(RealServersExtension.class)
class TokenApiTest {
  private static final String AGENTS = "/api/v1/agents/";

  private MutableClock clock;
  private TestNode node;
  private TestHttp http;
  private AgentRepository agents;
  private TestServers servers;
  private ListAppender<ILoggingEvent> logs;
  private final List<String> secretsSeen = new ArrayList<>();

  @BeforeEach
  void start(TestServers servers) {
    this.servers = servers;
    clock = new MutableClock(Instant.now());
    node = TestNode.start(clock, Map.of(Setting.REGISTER_LIMIT_PER_AGENT, "5"), List.of(new TokenModule()));
    http = node.http();
    agents = node.context().agentRepository();
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
  }

  @AfterEach
  void stop() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    node.close();
    // No ticket or credential ever reaches a log line, whatever the test did.
    String allLogs = logs.list.stream()
        .map(e -> e.getFormattedMessage() + " " + e.getKeyValuePairs() + " " + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage()))
        .collect(Collectors.joining("\n"));
    for (String secret : secretsSeen) {
      assertThat(allLogs).doesNotContain(secret.substring(secret.indexOf('.') + 1));
    }
  }

  @Test
  void ticketRedeemsOnceForACredentialThatAuthenticatesTheAgent() {
    AgentRecord agent = newAgent("alpha");
    String ticket = issueTicket(agent);

    TestHttp.Response registered = register(agent.id(), ticket, "box-1");
    assertThat(registered.status()).as(registered.body()).isEqualTo(200);
    assertThat(registered.header("cache-control")).isEqualTo("no-store");
    String credential = secret(registered.json().getString("credential"));
    assertThat(registered.json().getString("lifecycleStatus")).isEqualTo("starting");
    assertThat(registered.json().getLong("provisionEpoch")).isEqualTo(1);

    TestHttp.Response me = http.get(AGENTS + agent.id() + "/credential", Map.of("X-Agent-Token", credential));
    assertThat(me.status()).isEqualTo(200);
    assertThat(me.json().getString("credentialId")).isEqualTo(registered.json().getString("credentialId"));

    AgentRecord after = await(agents.find(agent.id())).orElseThrow();
    assertThat(after.status()).isEqualTo(LifecycleStatus.STARTING);
    assertThat(after.registeredAt()).isNotNull();

    // Only hashes are stored: neither secret appears anywhere in the two tables.
    String secretHalf = credential.substring(credential.indexOf('.') + 1);
    String ticketHalf = ticket.substring(ticket.indexOf('.') + 1);
    assertThat(servers.query("SELECT t::text FROM agent_credentials t")).noneMatch(r -> r.contains(secretHalf));
    assertThat(servers.query("SELECT t::text FROM bootstrap_tickets t")).noneMatch(r -> r.contains(ticketHalf));
  }

  @Test
  void twoInstancesRacingOneTicketGetExactlyOneCredentialAndTheLoserIsToldToStop() {
    for (int round = 0; round < 5; round++) {
      AgentRecord agent = newAgent("racer-" + round);
      String ticket = issueTicket(agent);
      CompletableFuture<TestHttp.Response> a = CompletableFuture.supplyAsync(() -> register(agent.id(), ticket, "box-a"));
      CompletableFuture<TestHttp.Response> b = CompletableFuture.supplyAsync(() -> register(agent.id(), ticket, "box-b"));
      List<TestHttp.Response> answers = List.of(a.join(), b.join());

      assertThat(answers).extracting(TestHttp.Response::status).containsExactlyInAnyOrder(200, 409);
      TestHttp.Response loser = answers.stream().filter(r -> r.status() == 409).findFirst().orElseThrow();
      assertThat(loser.json().getString("error")).isEqualTo("duplicate_instance");
      assertThat(loser.json().getBoolean("retryable")).isFalse();
      answers.stream().filter(r -> r.status() == 200).forEach(r -> secret(r.json().getString("credential")));
      assertThat(servers.query("SELECT count(*) FROM agent_credentials WHERE agent_id = '" + agent.id() + "'")).containsExactly("1");
      assertThat(eventNames(agent)).contains("lifecycle.agent.duplicate_instance");
    }
    assertThat(node.meters().counter("rollcall.token.registrations", "outcome", "ok").count()).isEqualTo(5);
    assertThat(node.meters().counter("rollcall.token.registrations", "outcome", "duplicate_instance").count()).isEqualTo(5);
  }

  @Test
  void ticketOfASupersededEpochIsStaleAndRetryable() {
    AgentRecord agent = newAgent("alpha");
    String oldTicket = issueTicket(agent);
    TransitionResult bumped = await(agents.transition(agent, LifecycleTrigger.PROVISION_REQUESTED,
        AgentChange.create().bumpProvisionEpoch(), null));
    assertThat(((TransitionResult.Applied) bumped).agent().provisionEpoch()).isEqualTo(2);

    TestHttp.Response stale = register(agent.id(), oldTicket, "box-1");
    assertError(stale, 409, "stale_epoch");
    assertThat(stale.json().getBoolean("retryable")).isTrue();
    assertThat(servers.query("SELECT count(*) FROM agent_credentials")).containsExactly("0");
  }

  @Test
  void unknownWrongOrExpiredTicketsAreInvalid() {
    AgentRecord agent = newAgent("alpha");
    String ticket = issueTicket(agent);
    String id = ticket.substring(0, ticket.indexOf('.'));
    assertError(register(agent.id(), id + "." + "A".repeat(43), "box-1"), 401, "ticket_invalid");
    assertError(register(agent.id(), UUID.randomUUID() + "." + "A".repeat(43), "box-1"), 401, "ticket_invalid");
    assertError(register(agent.id(), "not-a-ticket", "box-1"), 401, "ticket_invalid");
    AgentRecord other = newAgent("beta");
    assertError(register(other.id(), ticket, "box-1"), 401, "ticket_invalid");

    clock.advance(Duration.ofMinutes(11));
    TestHttp.Response expired = register(agent.id(), ticket, "box-1");
    assertError(expired, 401, "ticket_invalid");
    assertThat(expired.json().getString("message")).contains("expired");
    assertThat(servers.query("SELECT count(*) FROM agent_credentials")).containsExactly("0");
  }

  @Test
  void lostResponseRetriedMintsAgainAndRevokesTheUnusedCredential() {
    AgentRecord agent = newAgent("alpha");
    String ticket = issueTicket(agent);
    String lost = secret(register(agent.id(), ticket, "box-1").json().getString("credential"));
    TestHttp.Response retried = register(agent.id(), ticket, "box-1");
    assertThat(retried.status()).isEqualTo(200);
    String kept = secret(retried.json().getString("credential"));
    assertThat(kept).isNotEqualTo(lost);

    assertThat(http.get(AGENTS + agent.id() + "/credential", Map.of("X-Agent-Token", kept)).status()).isEqualTo(200);
    assertError(http.get(AGENTS + agent.id() + "/credential", Map.of("X-Agent-Token", lost)), 401, "credential_invalid");
    assertThat(eventNames(agent)).contains("lifecycle.credential.reissued");

    // Once the credential has been used, a repeated register is refused, not re-minted.
    awaitUsed(kept);
    assertError(register(agent.id(), ticket, "box-1"), 409, "already_registered");
  }

  @Test
  void aCredentialAuthorisesOnlyItsOwnAgent() {
    AgentRecord a = newAgent("alpha");
    AgentRecord b = newAgent("beta");
    String credentialA = secret(register(a.id(), issueTicket(a), "box-a").json().getString("credential"));
    secret(register(b.id(), issueTicket(b), "box-b").json().getString("credential"));
    assertThat(http.get(AGENTS + a.id() + "/credential", Map.of("X-Agent-Token", credentialA)).status()).isEqualTo(200);
    TestHttp.Response wrong = http.get(AGENTS + b.id() + "/credential", Map.of("X-Agent-Token", credentialA));
    assertError(wrong, 401, "credential_invalid");
    assertThat(wrong.json().containsKey("recovery")).isFalse();
    assertThat(await(agents.find(b.id())).orElseThrow().needsRebootstrap()).isFalse();
  }

  @Test
  void revokedCredentialIsRefusedPromptlyAndAnAgentWithoutOneIsSentBackToBootstrap() {
    AgentRecord agent = newAgent("alpha");
    String credential = secret(register(agent.id(), issueTicket(agent), "box-1").json().getString("credential"));
    assertThat(http.get(AGENTS + agent.id() + "/credential", Map.of("X-Agent-Token", credential)).status()).isEqualTo(200);

    JsonObject revoked = await(node.vertx().eventBus().<JsonObject>request(Addresses.TOKEN_REVOKE_AGENT,
        new JsonObject().put("agentId", agent.id().toString()).put("reason", "test"))).body();
    assertThat(revoked.getInteger("revoked")).isEqualTo(1);

    // The revocation fact reaches the HTTP event loop's cache asynchronously: a request that arrives on
    // that loop in the same instant may still be served from the cache (the loop handles I/O before its
    // task queue). Within the cache's 1 s poll it is refused whatever happens to the fact.
    TestHttp.Response refused = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofMillis(1500))
        .pollInterval(java.time.Duration.ofMillis(20))
        .until(() -> http.get(AGENTS + agent.id() + "/credential", Map.of("X-Agent-Token", credential)), r -> r.status() != 200);
    assertError(refused, 401, "credential_invalid");
    // Not a dead end: the answer says how it recovers, and the agent is flagged for a fresh ticket.
    assertThat(refused.json().getString("recovery")).isEqualTo("rebootstrap");
    assertThat(refused.json().getBoolean("retryable")).isTrue();
    assertThat(await(agents.find(agent.id())).orElseThrow().needsRebootstrap()).isTrue();
    assertThat(eventNames(agent)).contains("lifecycle.credential.rebootstrap_required");
    // Asking again gives the same answer, and the flag is not recorded twice.
    TestHttp.Response again401 = http.get(AGENTS + agent.id() + "/credential", Map.of("X-Agent-Token", credential));
    assertThat(again401.json().getString("recovery")).isEqualTo("rebootstrap");
    assertThat(eventNames(agent).stream().filter("lifecycle.credential.rebootstrap_required"::equals)).hasSize(1);

    // A fresh ticket re-opens the gate and clears the flag.
    AgentRecord flagged = await(agents.find(agent.id())).orElseThrow();
    TestHttp.Response again = register(agent.id(), issueTicket(flagged), "box-1");
    assertThat(again.status()).isEqualTo(200);
    secret(again.json().getString("credential"));
    assertThat(await(agents.find(agent.id())).orElseThrow().needsRebootstrap()).isFalse();
  }

  @Test
  void verifiedCredentialsAreCheckedLocallyWithoutABusRoundTripPerCall() {
    AgentRecord agent = newAgent("alpha");
    String credential = secret(register(agent.id(), issueTicket(agent), "box-1").json().getString("credential"));
    java.util.concurrent.atomic.AtomicInteger verifies = new java.util.concurrent.atomic.AtomicInteger();
    node.vertx().eventBus().addOutboundInterceptor(ctx -> {
      if (Addresses.TOKEN_VERIFY.equals(ctx.message().address())) {
        verifies.incrementAndGet();
      }
      ctx.next();
    });
    assertThat(http.get(AGENTS + agent.id() + "/credential", Map.of("X-Agent-Token", credential)).status()).isEqualTo(200);
    // The first use changes the credential (first_used_at): let the change polls see it and settle. A
    // real wait: the poll is a fixed 1 s Vert.x timer per HTTP event loop (CredentialVerifier), which the
    // test clock does not drive.
    org.awaitility.Awaitility.await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(() -> true);
    assertThat(http.get(AGENTS + agent.id() + "/credential", Map.of("X-Agent-Token", credential)).status()).isEqualTo(200);
    int settled = verifies.get();
    // For several change polls after that, every call is answered from the cache: none leaves the event loop.
    org.awaitility.Awaitility.await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(50))
        .until(() -> http.get(AGENTS + agent.id() + "/credential", Map.of("X-Agent-Token", credential)).status() == 200
            && verifies.get() == settled);
    assertThat(settled).isLessThanOrEqualTo(2);
  }

  @Test
  void aRevocationWhoseBusFactIsLostStillReachesTheCacheWithinASecond() {
    AgentRecord agent = newAgent("alpha");
    String credential = secret(register(agent.id(), issueTicket(agent), "box-1").json().getString("credential"));
    assertThat(http.get(AGENTS + agent.id() + "/credential", Map.of("X-Agent-Token", credential)).status()).isEqualTo(200);
    // Revoke behind the bus's back: only the changed_at poll can tell the cache.
    String id = credential.substring(0, credential.indexOf('.'));
    servers.query("UPDATE agent_credentials SET revoked_at = now(), changed_at = now(), revoked_reason = 'test' "
        + "WHERE id = '" + id + "' RETURNING id");
    long revokedAt = System.nanoTime();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(50)).until(() ->
        http.get(AGENTS + agent.id() + "/credential", Map.of("X-Agent-Token", credential)).status() == 401);
    assertThat(Duration.ofNanos(System.nanoTime() - revokedAt)).isLessThan(Duration.ofMillis(1500));
  }

  @Test
  void deletedAgentIsATombstone() {
    AgentRecord agent = newAgent("alpha");
    String ticket = issueTicket(agent);
    String spareTicket = issueTicket(agent);
    String credential = secret(register(agent.id(), ticket, "box-1").json().getString("credential"));
    AgentRecord current = await(agents.find(agent.id())).orElseThrow();
    await(agents.transition(current, LifecycleTrigger.DELETE_REQUESTED, AgentChange.none(), null));

    assertError(register(agent.id(), spareTicket, "box-2"), 410, "agent_deleted");
    assertError(http.get(AGENTS + agent.id() + "/credential", Map.of("X-Agent-Token", credential)), 410, "agent_deleted");
    assertThat(servers.query("SELECT count(*) FROM agent_credentials")).containsExactly("1");
  }

  @Test
  void registerIsRateLimitedPerAgent() {
    AgentRecord agent = newAgent("alpha");
    for (int i = 0; i < 5; i++) {
      assertError(register(agent.id(), UUID.randomUUID() + "." + "A".repeat(43), "box-1"), 401, "ticket_invalid");
    }
    TestHttp.Response limited = register(agent.id(), issueTicket(agent), "box-1");
    assertError(limited, 429, "register_rate_limited");
    assertThat(limited.header("retry-after")).isNotNull();
    assertThat(limited.json().getBoolean("retryable")).isTrue();
  }

  @Test
  void badInputIsA4xxJsonErrorAndWritesNothing() {
    AgentRecord agent = newAgent("alpha");
    String ticket = issueTicket(agent);
    String path = AGENTS + agent.id() + "/register";
    assertError(http.post(path, "{not json", Map.of()), 400, "malformed_json");
    assertError(http.post(path, "{}", Map.of()), 400, "missing_field");
    assertError(http.post(path, "{\"ticket\": \"" + ticket + "\"}", Map.of()), 400, "missing_field");
    assertError(http.post(path, "{\"ticket\": 7, \"instanceId\": \"box\"}", Map.of()), 400, "missing_field");
    assertError(http.post(path, "{\"ticket\": \"" + ticket + "\", \"instanceId\": \"box'; DROP TABLE agents;--\"}", Map.of()),
        400, "invalid_instance_id");
    assertError(http.post(path, "{\"ticket\": \"x' OR '1'='1\", \"instanceId\": \"box\"}", Map.of()), 401, "ticket_invalid");
    assertError(http.post(path, "{\"ticket\": \"" + "x".repeat(70_000) + "\"}", Map.of()), 413, "body_too_large");
    assertError(http.post(AGENTS + "not-a-uuid/register", "{\"ticket\": \"" + ticket + "\", \"instanceId\": \"box\"}", Map.of()),
        400, "invalid_id");
    assertError(http.get(AGENTS + agent.id() + "/credential", Map.of("X-Agent-Token", "garbage")), 401, "credential_invalid");

    assertThat(servers.query("SELECT count(*) FROM agent_credentials")).containsExactly("0");
    assertThat(servers.query("SELECT count(*) FROM bootstrap_tickets WHERE used_at IS NOT NULL")).containsExactly("0");
    assertThat(servers.query("SELECT count(*) FROM agents")).containsExactly("1");
    // And the untouched ticket still works afterwards.
    secret(register(agent.id(), ticket, "box").json().getString("credential"));
  }

  @Test
  void ticketsAreRefusedForAnotherEpochOrADeletedAgent() {
    AgentRecord agent = newAgent("alpha");
    Throwable wrongEpoch = TestNode.awaitFailure(node.vertx().eventBus().request(Addresses.TOKEN_ISSUE_TICKET,
        new TokenMessages.IssueTicket(agent.id(), 7).toJson()));
    assertThat(wrongEpoch).hasMessageContaining("stale_epoch");
    Throwable missing = TestNode.awaitFailure(node.vertx().eventBus().request(Addresses.TOKEN_ISSUE_TICKET,
        new TokenMessages.IssueTicket(UUID.randomUUID(), 1).toJson()));
    assertThat(missing).hasMessageContaining("agent_not_found");
  }

  private AgentRecord newAgent(String name) {
    var gateways = node.context().gatewayRepository();
    var existing = await(gateways.list(1));
    var gw = existing.isEmpty() ? await(gateways.create("gw-1", "http://127.0.0.1:1", 1)) : existing.get(0);
    return await(agents.create(gw.id(), name, 1));
  }

  private String issueTicket(AgentRecord agent) {
    JsonObject reply = await(node.vertx().eventBus().<JsonObject>request(Addresses.TOKEN_ISSUE_TICKET,
        new TokenMessages.IssueTicket(agent.id(), agent.provisionEpoch()).toJson())).body();
    return secret(reply.getString("ticket"));
  }

  private TestHttp.Response register(UUID agentId, String ticket, String instanceId) {
    return http.post(AGENTS + agentId + "/register",
        new JsonObject().put("ticket", ticket).put("instanceId", instanceId).encode(), Map.of());
  }

  /** Remembers a secret so that the log check after the test can look for it. */
  private String secret(String text) {
    assertThat(text).matches("[0-9a-f-]{36}\\.[A-Za-z0-9_-]{43}");
    secretsSeen.add(text);
    return text;
  }

  private void awaitUsed(String credential) {
    String id = credential.substring(0, credential.indexOf('.'));
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
        servers.query("SELECT first_used_at IS NOT NULL FROM agent_credentials WHERE id = '" + id + "'").equals(List.of("t")));
  }

  private List<String> eventNames(AgentRecord agent) {
    return await(agents.events(agent.id(), 0, 1000)).stream().map(LifecycleEventRecord::name).toList();
  }

  private static void assertError(TestHttp.Response response, int status, String error) {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    JsonObject body = response.json();
    assertThat(body.getString("error")).isEqualTo(error);
    assertThat(body.getString("message")).isNotBlank();
    assertThat(body.containsKey("retryable")).isTrue();
  }
}
