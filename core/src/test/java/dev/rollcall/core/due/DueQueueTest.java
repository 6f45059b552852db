package dev.rollcall.core.due;

import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.redis.RedisClients;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TestServers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The due queue against a real Redis: atomic claims, visibility timeout, conditional completion. */
@ExtendWith({VertxExtension.class, RealServersExtension.class})
class DueQueueTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final Duration VISIBILITY = Duration.ofSeconds(30);
  private Redis redis;

  @BeforeEach
  void setUp(Vertx vertx, TestServers servers) {
    redis = RedisClients.client(vertx, servers.redisUrl());
    await(redis.send(Request.cmd(Command.DEL).arg(DueQueue.KEY)));
  }

  @Test
  void onlyDueEntriesAreClaimedAndAClaimHidesThemFromOtherClaimers() {
    UUID due = UUID.randomUUID();
    UUID later = UUID.randomUUID();
    await(DueQueue.schedule(redis, due, T0));
    await(DueQueue.schedule(redis, later, T0.plusSeconds(60)));

    assertThat(await(DueQueue.claim(redis, T0, VISIBILITY, 10))).extracting(DueQueue.Claim::agentId).containsExactly(due);
    assertThat(await(DueQueue.claim(redis, T0.plusSeconds(1), VISIBILITY, 10))).as("claimed by someone else").isEmpty();
    assertThat(await(DueQueue.dueAt(redis, due))).contains(T0.plus(VISIBILITY));
  }

  @Test
  void concurrentClaimersNeverGetTheSameEntry() {
    List<UUID> agents = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      agents.add(UUID.randomUUID());
    }
    await(DueQueue.scheduleAll(redis, agents, T0));
    // Six claimers at once, as six reconciler instances would.
    List<Future<List<DueQueue.Claim>>> claims = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      claims.add(DueQueue.claim(redis, T0, VISIBILITY, 40));
    }
    await(Future.join(claims));
    Set<UUID> seen = new HashSet<>();
    int total = 0;
    for (Future<List<DueQueue.Claim>> c : claims) {
      for (DueQueue.Claim claim : c.result()) {
        assertThat(seen.add(claim.agentId())).as("claimed twice: " + claim.agentId()).isTrue();
        total++;
      }
    }
    assertThat(total).isEqualTo(240);
  }

  @Test
  void anEntryWhoseClaimerDiedComesDueAgainAfterTheVisibilityTimeout() {
    UUID agent = UUID.randomUUID();
    await(DueQueue.schedule(redis, agent, T0));
    DueQueue.Claim first = await(DueQueue.claim(redis, T0, VISIBILITY, 10)).get(0);
    // The claimer dies without completing. Before the timeout nobody sees the entry; after it, another does.
    assertThat(await(DueQueue.claim(redis, T0.plus(VISIBILITY).minusMillis(1), VISIBILITY, 10))).isEmpty();
    List<DueQueue.Claim> again = await(DueQueue.claim(redis, T0.plus(VISIBILITY), VISIBILITY, 10));
    assertThat(again).extracting(DueQueue.Claim::agentId).containsExactly(agent);
    // The dead claimer's late completion no longer holds the claim: it cannot push the entry back.
    await(DueQueue.complete(redis, first, T0.plus(Duration.ofHours(1))));
    assertThat(await(DueQueue.dueAt(redis, agent))).contains(Instant.ofEpochMilli(again.get(0).claimScore()));
  }

  @Test
  void completionMovesTheEntryToTheNextLookOrDropsIt() {
    UUID keep = UUID.randomUUID();
    UUID drop = UUID.randomUUID();
    await(DueQueue.scheduleAll(redis, List.of(keep, drop), T0));
    List<DueQueue.Claim> claims = await(DueQueue.claim(redis, T0, VISIBILITY, 10));
    for (DueQueue.Claim c : claims) {
      await(DueQueue.complete(redis, c, c.agentId().equals(keep) ? T0.plusSeconds(90) : null));
    }
    assertThat(await(DueQueue.dueAt(redis, keep))).contains(T0.plusSeconds(90));
    assertThat(await(DueQueue.dueAt(redis, drop))).isEmpty();
  }

  @Test
  void aScheduleWrittenDuringTheClaimIsKeptWhenItIsEarlier() {
    UUID agent = UUID.randomUUID();
    await(DueQueue.schedule(redis, agent, T0));
    DueQueue.Claim claim = await(DueQueue.claim(redis, T0, VISIBILITY, 10)).get(0);
    // A wake sets a check-in deadline while the pass runs.
    await(DueQueue.schedule(redis, agent, T0.plusSeconds(5)));
    // The pass finishes and says "nothing to do": the wake's deadline survives.
    await(DueQueue.complete(redis, claim, null));
    assertThat(await(DueQueue.dueAt(redis, agent))).contains(T0.plusSeconds(5));
    // And a later next look does not push it back either.
    DueQueue.Claim second = await(DueQueue.claim(redis, T0.plusSeconds(5), VISIBILITY, 10)).get(0);
    await(DueQueue.schedule(redis, agent, T0.plusSeconds(7)));
    await(DueQueue.complete(redis, second, T0.plusSeconds(60)));
    assertThat(await(DueQueue.dueAt(redis, agent))).contains(T0.plusSeconds(7));
  }

  @Test
  void depthReportsSizeAndTheEarliestDueTime() {
    await(DueQueue.schedule(redis, UUID.randomUUID(), T0.plusSeconds(3)));
    await(DueQueue.schedule(redis, UUID.randomUUID(), T0.plusSeconds(1)));
    DueQueue.Depth depth = await(DueQueue.depth(redis));
    assertThat(depth.entries()).isEqualTo(2);
    assertThat(depth.oldestDue()).isEqualTo(T0.plusSeconds(1));
  }
}
