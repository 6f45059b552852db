package dev.rollcall.heartbeat;

import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.bus.TokenMessages;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.embedded.EmbeddedServers;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.liveness.Leases;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.persistence.AgentChange;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.AgentRepository;
import dev.rollcall.core.persistence.GatewayRecord;
import dev.rollcall.core.persistence.LifecycleEventRecord;
import dev.rollcall.core.testing.MutableClock;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TcpProxy;
import dev.rollcall.core.testing.TestHttp;
import dev.rollcall.core.testing.TestNode;
import dev.rollcall.core.testing.TestServers;
import dev.rollcall.token.TokenModule;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Heartbeats over real HTTP from registered agents, against real PostgreSQL and Redis. */
@ExtendWith(RealServersExtension.class)
class HeartbeatApiTest {
  private MutableClock clock;
  private TestNode node;
  private AgentRepository agents;
  private TestServers servers;
  private GatewayRecord gateway;

  @BeforeEach
  void start(TestServers servers) {
    this.servers = servers;
    clock = new MutableClock(Instant.now());
    node = TestNode.start(clock, Map.of(), List.of(new TokenModule(), new HeartbeatModule()));
    agents = node.context().agentRepository();
    gateway = await(node.context().gatewayRepository().create("gw-1", "http://127.0.0.1:1", 3));
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  void seed02StuckStartingAgentIsPromotedAndRegressiveHeartbeatsNeverDowngradeIt() {
    Agent a = registered("python-sdk");
    clock.advance(Duration.ofMinutes(10)); // registered 10 min ago, heartbeating starting forever
    TestHttp.Response first = heartbeat(a, "starting", 3);
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    assertThat(first.json().getString("lifecycleStatus")).isEqualTo("ready");
    for (int i = 0; i < 5; i++) {
      clock.advance(Duration.ofSeconds(10));
      assertThat(heartbeat(a, "starting", 3).json().getString("lifecycleStatus")).isEqualTo("ready");
    }
    assertThat(status(a)).isEqualTo(LifecycleStatus.READY);
    assertThat(events(a)).contains("lifecycle.reconcile.promoted");
  }

  @Test
  void reportedStatusesMoveTheAgentAsTheTableSays() {
    Agent a = registered("a");
    assertThat(heartbeat(a, "ready", 3).json().getString("lifecycleStatus")).isEqualTo("ready");
    assertThat(heartbeat(a, "degraded", 3).json().getString("lifecycleStatus")).isEqualTo("degraded");
    assertThat(heartbeat(a, "ready", 3).json().getString("lifecycleStatus")).isEqualTo("ready");
    assertThat(heartbeat(a, "stopping", 3).json().getString("lifecycleStatus")).isEqualTo("offline");
    assertThat(await(agents.find(a.id)).orElseThrow().statusReason()).contains("stopping");
  }

  @Test
  void firstCheckInAfterAWakeResetsEscalationWithEvidence() {
    GatewayRecord gw = gateway;
    AgentRecord created = await(agents.create(gw.id(), "late", 3));
    AgentRecord waking = ((dev.rollcall.core.persistence.TransitionResult.Applied) await(agents.transition(created,
        LifecycleTrigger.PROVISION_ACCEPTED, AgentChange.create().wakeAttempts(2).checkinDeadline(clock.instant().plusSeconds(30)), null))).agent();
    Agent a = register(waking, "late");
    assertThat(heartbeat(a, "starting", 3).status()).isEqualTo(200);
    AgentRecord after = await(agents.find(a.id)).orElseThrow();
    assertThat(after.wakeAttempts()).isZero();
    assertThat(after.checkinDeadline()).isNull();
    assertThat(after.lastSeenAt()).isNotNull();
    assertThat(events(a)).contains("lifecycle.reconcile.skip_not_stuck");
  }

  @Test
  void steadyHeartbeatsRefreshTheLeaseButWriteThePostgresRecordOnlyWhenDue() {
    Agent a = registered("steady");
    assertThat(heartbeat(a, "ready", 3).status()).isEqualTo(200);
    long version = await(agents.find(a.id)).orElseThrow().version();
    for (int i = 0; i < 5; i++) {
      clock.advance(Duration.ofSeconds(10));
      TestHttp.Response r = heartbeat(a, "ready", 3);
      assertThat(r.status()).isEqualTo(200);
      long next = r.json().getLong("nextHeartbeatMs");
      assertThat(next).isBetween(9_000L, 11_000L);
    }
    assertThat(await(agents.find(a.id)).orElseThrow().version()).as("no write for steady heartbeats").isEqualTo(version);
    int eventsBefore = events(a).size();
    long lastHeartbeat = clock.instant().toEpochMilli();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(lease(a)).contains(lastHeartbeat));

    clock.advance(Duration.ofSeconds(30)); // 80 s since last_seen_at was written: due (60 s + at most 20 % spread)
    heartbeat(a, "ready", 3);
    Instant due = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    // Written by the batch within its linger (LastSeenWriter), not by a transaction of its own.
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(await(agents.find(a.id)).orElseThrow().lastSeenAt()).isEqualTo(due));
    // Bookkeeping, not a change of state: no version bump (no writer loses a race to it) and no event
    // per agent-minute burying the agent's history.
    assertThat(await(agents.find(a.id)).orElseThrow().version()).isEqualTo(version);
    assertThat(events(a)).as("events after the coalesced write").hasSize(eventsBefore);
    clock.advance(Duration.ofSeconds(10));
    heartbeat(a, "ready", 3);
    // A real wait, kept: a write would go with LastSeenWriter's batch when its 250 ms Vert.x timer fires,
    // which the test clock does not drive; 600 ms outlasts it with room.
    org.awaitility.Awaitility.await().pollDelay(Duration.ofMillis(600)).atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(await(agents.find(a.id)).orElseThrow().lastSeenAt()).as("not due again yet").isEqualTo(due));
  }

  @Test
  void heartbeatsArrivingTogetherClearASuspicionWithOneWriteAndAllAreAccepted() throws Exception {
    Agent a = registered("back-from-a-blip");
    AgentRecord starting = await(agents.find(a.id)).orElseThrow();
    await(agents.transition(starting, LifecycleTrigger.LEASE_LAPSED, AgentChange.create().suspectSince(clock.instant()), null));
    long versionBefore = await(agents.find(a.id)).orElseThrow().version();

    // The agent comes back with several heartbeats at once (retries queued behind a network blip): all
    // of them read the suspected, starting record, and each would move it to ready and clear the
    // suspicion. Written on raw sockets so that they arrive together.
    int together = 5; // the rate limiter's burst
    URI base = URI.create(node.baseUrl());
    String body = new JsonObject().put("status", "ready").put("templateVersion", 3).encode();
    String request = "POST /api/v1/agents/" + a.id + "/heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "X-Agent-Token: " + a.credential + "\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body;
    List<java.net.Socket> sockets = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < together; i++) {
        sockets.add(new java.net.Socket(base.getHost(), base.getPort()));
      }
      for (java.net.Socket socket : sockets) {
        socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      }
      for (java.net.Socket socket : sockets) {
        socket.setSoTimeout(10_000);
        String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(answer).as(answer).startsWith("HTTP/1.1 200");
      }
    } finally {
      for (java.net.Socket socket : sockets) {
        socket.close();
      }
    }
    AgentRecord after = await(agents.find(a.id)).orElseThrow();
    assertThat(after.suspectSince()).isNull();
    assertThat(after.status()).isEqualTo(LifecycleStatus.READY);
    assertThat(after.version()).as("one write").isEqualTo(versionBefore + 1);
    // Before, every heartbeat after the first raced the first one's write and lost (and one that lost
    // twice was answered 503 agent_contended).
    assertThat(node.meters().find("rollcall.lifecycle.transitions").tag("outcome", "lost_race").counters())
        .as("heartbeats of one agent do not race each other on an event loop")
        .allSatisfy(c -> assertThat(c.count()).isZero());
  }

  @Test
  void staleTemplatesAreFlaggedAndTheAnswerSaysSo() {
    Agent a = registered("stale");
    TestHttp.Response r = heartbeat(a, "ready", 2);
    assertThat(r.json().getJsonObject("templateSync").getInteger("templateVersion")).isEqualTo(3);
    assertThat(await(agents.find(a.id)).orElseThrow().needsTemplateSync()).isTrue();
    assertThat(heartbeat(a, "ready", 3).json().containsKey("templateSync")).isFalse();
    assertThat(await(agents.find(a.id)).orElseThrow().needsTemplateSync()).isFalse();
  }

  @Test
  void aGatewaysNewTemplateVersionReachesHeartbeatsWithinTheCachePeriodWithoutHoldingThemUp() {
    Agent a = registered("follows-its-gateway");
    assertThat(heartbeat(a, "ready", 3).json().containsKey("templateSync")).isFalse();
    await(node.context().pool().preparedQuery("UPDATE gateways SET template_version = 4 WHERE id = $1")
        .execute(io.vertx.sqlclient.Tuple.of(gateway.id())));
    clock.advance(Duration.ofSeconds(10));
    assertThat(heartbeat(a, "ready", 3).json().containsKey("templateSync")).as("within the cache period").isFalse();
    clock.advance(Duration.ofSeconds(25)); // the cached version expired
    // The first heartbeat after that is answered from the expired entry while one read refreshes it.
    assertThat(heartbeat(a, "ready", 3).status()).isEqualTo(200);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      clock.advance(Duration.ofSeconds(1));
      JsonObject answer = heartbeat(a, "ready", 3).json();
      assertThat(answer.getJsonObject("templateSync")).isNotNull();
      assertThat(answer.getJsonObject("templateSync").getInteger("templateVersion")).isEqualTo(4);
    });
    assertThat(await(agents.find(a.id)).orElseThrow().needsTemplateSync()).isTrue();
  }

  @Test
  void aClientFarFasterThanToldGets429AndItsExcessIsNotWritten() {
    Agent a = registered("fast");
    int limited = 0;
    for (int i = 0; i < 20; i++) {
      TestHttp.Response r = heartbeat(a, "ready", 3);
      if (r.status() == 429) {
        limited++;
        assertThat(r.json().getString("error")).isEqualTo("heartbeat_rate_limited");
        assertThat(r.header("retry-after")).isNotNull();
      }
    }
    assertThat(limited).isGreaterThanOrEqualTo(14);
    assertThat(node.meters().counter("rollcall.heartbeat.accepted").count()).isLessThanOrEqualTo(6);
  }

  @Test
  void theRevocationFactAloneMakesTheRoutesLetGoOfTheCredentialTheyHold() {
    // The fact, isolated from the change poll: published for a credential the database still holds
    // valid. The routes must stop trusting the one they keep for the agent and ask the token verticle
    // again (which, the database untouched, accepts it).
    Agent a = registered("fact-only");
    assertThat(heartbeat(a, "ready", 3).status()).isEqualTo(200);
    settleFirstUse();
    clock.advance(Duration.ofSeconds(10));
    assertThat(heartbeat(a, "ready", 3).status()).isEqualTo(200);
    java.util.concurrent.atomic.AtomicInteger verifies = new java.util.concurrent.atomic.AtomicInteger();
    node.vertx().eventBus().addOutboundInterceptor(ctx -> {
      if (Addresses.TOKEN_VERIFY.equals(ctx.message().address())) {
        verifies.incrementAndGet();
      }
      ctx.next();
    });
    clock.advance(Duration.ofSeconds(10));
    assertThat(heartbeat(a, "ready", 3).status()).isEqualTo(200);
    assertThat(verifies).as("held and checked locally").hasValue(0);

    dropFromCachesOnly(a);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
      clock.advance(Duration.ofSeconds(10));
      assertThat(heartbeat(a, "ready", 3).status()).isEqualTo(200);
      assertThat(verifies.get()).isPositive();
    });
  }

  @Test
  void aVerificationAnsweredJustBeforeARevocationDoesNotKeepTheRevokedCredentialCached() throws Exception {
    // The race: the token verticle finds the credential valid, the revocation commits and the change
    // poll applies it (nothing cached yet to drop), and only then does the answer arrive and get cached.
    Agent a = registered("race");
    // Used once and settled (the first use changes the row), then out of the cache (a fact with the
    // database untouched), so that the next heartbeat asks the token verticle and nothing else changes
    // the row after the revocation.
    assertThat(heartbeat(a, "ready", 3).status()).isEqualTo(200);
    settleFirstUse();
    dropFromCachesOnly(a);
    clock.advance(Duration.ofSeconds(10));
    java.util.concurrent.CompletableFuture<Runnable> heldReply = new java.util.concurrent.CompletableFuture<>();
    java.util.concurrent.atomic.AtomicBoolean holding = new java.util.concurrent.atomic.AtomicBoolean(true);
    node.vertx().eventBus().addInboundInterceptor(ctx -> {
      if (ctx.body() instanceof JsonObject body && body.containsKey("secretHash") && holding.compareAndSet(true, false)) {
        heldReply.complete(ctx::next);
        return;
      }
      ctx.next();
    });
    java.util.concurrent.CompletableFuture<TestHttp.Response> first =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> heartbeat(a, "ready", 3));
    Runnable release = heldReply.get(5, java.util.concurrent.TimeUnit.SECONDS);
    revokeBehindTheBus(a);
    // Two polls' time: the change is seen while the credential is in no cache. A real wait, kept: the
    // credential caches' change poll is a fixed 1 s Vert.x timer on each HTTP event loop, not driven by
    // the clock, and nothing outside the cache shows that a poll ran.
    org.awaitility.Awaitility.await().pollDelay(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(4)).until(() -> true);
    node.vertx().runOnContext(v -> release.run());
    assertThat(first.get(10, java.util.concurrent.TimeUnit.SECONDS).status()).as("answered as verified, a moment too early").isEqualTo(200);
    assertError(firstRefusal(a), 401, "credential_invalid");
  }

  @Test
  void aRevokedCredentialIsRefusedThoughTheRoutesHoldItAsTheAgentsLastOne() {
    // Each agent's last verified credential is kept with it on the heartbeat path and checked without a
    // cache lookup; a revocation must reach it all the same, end to end (the fact alone is checked above).
    Agent byFact = registered("by-fact");
    Agent byPoll = registered("by-poll");
    for (int i = 0; i < 3; i++) {
      assertThat(heartbeat(byFact, "ready", 3).status()).isEqualTo(200);
      assertThat(heartbeat(byPoll, "ready", 3).status()).isEqualTo(200);
      clock.advance(Duration.ofSeconds(10));
    }
    await(node.vertx().eventBus().request(Addresses.TOKEN_REVOKE_AGENT,
        new JsonObject().put("agentId", byFact.id.toString()).put("reason", "test")));
    // Behind the bus's back: only the change poll can tell.
    revokeBehindTheBus(byPoll);
    for (Agent a : List.of(byFact, byPoll)) {
      assertError(firstRefusal(a), 401, "credential_invalid");
    }
  }

  @Test
  void badInputAndWrongCredentialsAreClear4xxAndWriteNothing() {
    Agent a = registered("a");
    Agent b = registered("b");
    String path = "/api/v1/agents/" + a.id + "/heartbeat";
    Map<String, String> auth = Map.of("X-Agent-Token", a.credential);
    assertError(node.http().post(path, "{not json", auth), 400, "malformed_json");
    assertError(node.http().post(path, "{\"status\": \"sleepy\"}", auth), 400, "invalid_status");
    assertError(node.http().post(path, "{\"status\": \"READY\"}", auth), 400, "invalid_status");
    assertError(node.http().post(path, "{}", auth), 400, "missing_field");
    assertError(node.http().post(path, "{\"status\": \"ready\", \"templateVersion\": \"x\"}", auth), 400, "invalid_template_version");
    assertError(node.http().post(path, "{\"status\": \"ready\", \"detail\": \"" + "x".repeat(70_000) + "\"}", auth), 413, "body_too_large");
    assertError(node.http().post("/api/v1/agents/nope/heartbeat", "{\"status\": \"ready\"}", auth), 400, "invalid_id");
    // A token for agent B never heartbeats for agent A.
    assertError(node.http().post(path, "{\"status\": \"ready\"}", Map.of("X-Agent-Token", b.credential)), 401, "credential_invalid");
    assertError(node.http().post(path, "{\"status\": \"ready\"}", Map.of()), 401, "credential_invalid");
    assertThat(status(a)).isEqualTo(LifecycleStatus.STARTING);
    assertThat(lease(a)).isEmpty();
  }

  @Test
  void aChunkedHeartbeatTakesTheRoutedPathAndIsAnsweredTheSameWay() {
    Agent a = registered("chunked");
    byte[] body = new JsonObject().put("status", "ready").put("templateVersion", 3).encode().getBytes();
    // No Content-Length: answerDirectly leaves it to the router and its body handler.
    TestHttp.Response r = node.http().send(java.net.http.HttpRequest.newBuilder(
            URI.create(node.baseUrl() + "/api/v1/agents/" + a.id + "/heartbeat"))
        .header("content-type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))),
        Map.of("X-Agent-Token", a.credential));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.header("content-length")).isNotNull();
    assertThat(r.json().getString("lifecycleStatus")).isEqualTo("ready");
    assertThat(r.json().getString("agentId")).isEqualTo(a.id.toString());
    assertThat(r.json().getLong("nextHeartbeatMs")).isBetween(9_000L, 11_000L);
    assertThat(status(a)).isEqualTo(LifecycleStatus.READY);
  }

  @Test
  void aBodyArrivingInPiecesIsReadWhole() throws Exception {
    // Nearly every heartbeat's body arrives in one chunk and is kept as it came; one sent in pieces
    // must be put together, not taken from its first piece.
    Agent a = registered("pieces");
    byte[] body = "{\"status\":\"degraded\",\"templateVersion\":3}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    URI base = URI.create(node.baseUrl());
    try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(5_000);
      socket.setTcpNoDelay(true);
      var out = socket.getOutputStream();
      out.write(("POST /api/v1/agents/" + a.id + "/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length + "\r\nX-Agent-Token: " + a.credential + "\r\n\r\n").getBytes());
      for (int i = 0; i < body.length; i += 7) {
        out.write(body, i, Math.min(7, body.length - i));
        out.flush();
        Thread.sleep(20); // the test's own thread, not an event loop: lets each piece arrive on its own
      }
      String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream())).readLine();
      assertThat(status).contains(" 200");
    }
    assertThat(status(a)).isEqualTo(LifecycleStatus.DEGRADED);
  }

  @Test
  void expectContinueIsHonouredAndContradictoryFramingCannotSmuggleABigBody() throws Exception {
    Agent a = registered("framing");
    // Expect: 100-continue goes through the router's body handler, which sends the 100.
    TestHttp.Response continued = node.http().send(java.net.http.HttpRequest.newBuilder(
            URI.create(node.baseUrl() + "/api/v1/agents/" + a.id + "/heartbeat"))
        .expectContinue(true).header("content-type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"status\":\"ready\",\"templateVersion\":3}")),
        Map.of("X-Agent-Token", a.credential));
    assertThat(continued.status()).as(continued.body()).isEqualTo(200);

    // HTTP/1.0 with a small Content-Length next to chunked framing, then 70 kB: refused, never taken.
    URI base = URI.create(node.baseUrl());
    try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(5_000);
      var out = socket.getOutputStream();
      out.write(("POST /api/v1/agents/" + a.id + "/heartbeat HTTP/1.0\r\nHost: x\r\nContent-Length: 10\r\n"
          + "Transfer-Encoding: chunked\r\nX-Agent-Token: " + a.credential + "\r\n\r\n").getBytes());
      // A valid heartbeat padded past the 64 kB limit: taken, it would be answered 200.
      byte[] chunk = ("{\"status\":\"ready\",\"templateVersion\":3,\"pad\":\"" + "x".repeat(70_000) + "\"}").getBytes();
      try {
        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes());
        out.write(chunk);
        out.write("\r\n0\r\n\r\n".getBytes());
        out.flush();
      } catch (java.io.IOException closedEarly) {
        // the server may close before taking it all: that is a refusal too
      }
      String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream())).readLine();
      assertThat(status).as("answered, and not with a 2xx").isNotNull().doesNotContain(" 200");
    }
  }

  @Test
  void anInstanceOfASupersededEpochIsToldToStopAndTheNewOneIsAccepted() {
    Agent old = registered("epoch");
    assertThat(heartbeat(old, "ready", 3).status()).isEqualTo(200);
    AgentRecord current = await(agents.find(old.id)).orElseThrow();
    // Re-provisioned behind this node's back (as if the bus fact were lost): the snapshot is stale.
    AgentRecord reprovisioned = ((dev.rollcall.core.persistence.TransitionResult.Applied) await(agents.transition(current,
        LifecycleTrigger.PROVISION_REQUESTED, AgentChange.create().bumpProvisionEpoch(), null))).agent();
    Agent fresh = register(reprovisioned, "epoch-2");
    TestHttp.Response accepted = heartbeat(fresh, "starting", 3);
    assertThat(accepted.status()).as(accepted.body()).isEqualTo(200);
    assertThat(accepted.json().getLong("provisionEpoch")).isEqualTo(2);
    // The old instance's credential was superseded at registration: it is told to stop (409 stale_epoch),
    // not to re-bootstrap, and the agent is not flagged for a re-provision because of it.
    TestHttp.Response stale = heartbeat(old, "ready", 3);
    assertError(stale, 409, "stale_epoch");
    assertThat(stale.json().getString("message")).contains("must stop");
    assertThat(await(agents.find(old.id)).orElseThrow().needsRebootstrap()).isFalse();
  }

  @Test
  void withoutRedisTheAnswerIs503WithRetryAfterAndNothingIsJudged() {
    int deadPort = EmbeddedServers.freePort();
    Agent a = registered("a");
    try (TestNode cutOff = TestNode.start(clock, Map.of(Setting.REDIS_URL, "redis://127.0.0.1:" + deadPort),
        List.of(new TokenModule(), new HeartbeatModule()))) {
      TestHttp.Response r = cutOff.http().post("/api/v1/agents/" + a.id + "/heartbeat", "{\"status\": \"ready\"}",
          Map.of("X-Agent-Token", a.credential));
      assertError(r, 503, "liveness_store_unavailable");
      assertThat(r.header("retry-after")).isEqualTo("5");
      assertThat(r.json().getBoolean("retryable")).isTrue();
    }
  }

  @Test
  void aHeartbeatAcceptedJustBeforeRedisIsLostIsStoredWhenItReturnsAndNoneIsAcceptedMeanwhile() {
    URI redisUrl = URI.create(servers.redisUrl());
    Agent a = registered("outage");
    try (TcpProxy proxy = new TcpProxy(redisUrl.getHost(), redisUrl.getPort());
         TestNode proxied = TestNode.start(clock, Map.of(Setting.REDIS_URL, "redis://127.0.0.1:" + proxy.port()),
             List.of(new TokenModule(), new HeartbeatModule()))) {
      assertThat(heartbeat(proxied, a, "ready").status()).as("store confirmed by a stored lease").isEqualTo(200);

      proxy.cut();
      clock.advance(Duration.ofSeconds(10));
      long acceptedBlind = clock.millis();
      // The store was confirmed a moment ago: this one is answered at once and its lease written behind,
      // which fails. The lease must be kept, and the heartbeats after the failure refused.
      assertThat(heartbeat(proxied, a, "ready").status()).isEqualTo(200);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
        clock.advance(Duration.ofSeconds(10));
        TestHttp.Response r = heartbeat(proxied, a, "ready");
        return r.status() == 503 && "liveness_store_unavailable".equals(r.json().getString("error"));
      });
      assertThat(lease(a)).as("nothing reached Redis yet").hasValueSatisfying(seen -> assertThat(seen).isLessThan(acceptedBlind));

      proxy.restore();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
          .untilAsserted(() -> assertThat(lease(a)).hasValueSatisfying(seen -> assertThat(seen).isGreaterThanOrEqualTo(acceptedBlind)));
      clock.advance(Duration.ofSeconds(10));
      assertThat(heartbeat(proxied, a, "ready").status()).isEqualTo(200);
    }
  }

  /**
   * The first use changes the credential's row: lets the change polls see it and settle. A real wait:
   * the poll is a fixed 1 s Vert.x timer per HTTP event loop (CredentialVerifier), not driven by the clock.
   */
  private static void settleFirstUse() {
    org.awaitility.Awaitility.await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(() -> true);
  }

  /** The revocation fact alone, the database untouched: every credential cache drops the credential. */
  private void dropFromCachesOnly(Agent a) {
    node.vertx().eventBus().publish(Addresses.TOKEN_REVOKED, new TokenMessages.Revoked(a.id, List.of(a.credentialId()), "test").toJson());
  }

  /** Revoked in the database only: no fact, so only the caches' change poll can learn of it. */
  private void revokeBehindTheBus(Agent a) {
    servers.query("UPDATE agent_credentials SET revoked_at = now(), changed_at = now(), revoked_reason = 'test' "
        + "WHERE id = '" + a.credentialId() + "' RETURNING id");
  }

  /** Heartbeats (a token's worth of time apart, for the rate limiter) until one is refused, within 3 s. */
  private TestHttp.Response firstRefusal(Agent a) {
    return org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(50))
        .until(() -> {
          clock.advance(Duration.ofSeconds(10));
          return heartbeat(a, "ready", 3);
        }, r -> r.status() != 200);
  }

  private Agent registered(String name) {
    return register(await(agents.create(gateway.id(), name, 3)), name);
  }

  private Agent register(AgentRecord agent, String instance) {
    JsonObject ticket = await(node.vertx().eventBus().<JsonObject>request(Addresses.TOKEN_ISSUE_TICKET,
        new TokenMessages.IssueTicket(agent.id(), agent.provisionEpoch()).toJson())).body();
    TestHttp.Response r = node.http().post("/api/v1/agents/" + agent.id() + "/register",
        new JsonObject().put("ticket", ticket.getString("ticket")).put("instanceId", instance).encode(), Map.of());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return new Agent(agent.id(), r.json().getString("credential"));
  }

  private static TestHttp.Response heartbeat(TestNode target, Agent a, String status) {
    return target.http().post("/api/v1/agents/" + a.id + "/heartbeat",
        new JsonObject().put("status", status).put("templateVersion", 3).encode(), Map.of("X-Agent-Token", a.credential));
  }

  private Optional<Long> lease(Agent a) {
    return await(Leases.lastSeen(node.context().redis(), a.id));
  }

  private TestHttp.Response heartbeat(Agent a, String status, int templateVersion) {
    return node.http().post("/api/v1/agents/" + a.id + "/heartbeat",
        new JsonObject().put("status", status).put("templateVersion", templateVersion).encode(), Map.of("X-Agent-Token", a.credential));
  }

  private LifecycleStatus status(Agent a) {
    return await(agents.find(a.id)).orElseThrow().status();
  }

  private List<String> events(Agent a) {
    return await(agents.events(a.id, 0, 1000)).stream().map(LifecycleEventRecord::name).toList();
  }

  private static void assertError(TestHttp.Response response, int status, String error) {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.json().getString("error")).isEqualTo(error);
    assertThat(response.json().containsKey("retryable")).isTrue();
  }

  private record Agent(UUID id, String credential) {
    UUID credentialId() {
      return UUID.fromString(credential.substring(0, credential.indexOf('.')));
    }
  }
}
