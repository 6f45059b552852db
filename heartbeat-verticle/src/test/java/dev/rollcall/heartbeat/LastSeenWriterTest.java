package dev.rollcall.heartbeat;

import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.AgentRepository;
import dev.rollcall.core.persistence.GatewayRecord;
import dev.rollcall.core.testing.MutableClock;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TestNode;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The batched last_seen_at write against real PostgreSQL, driven on one event loop as the routes drive it. */
@ExtendWith(RealServersExtension.class)
class LastSeenWriterTest {
  private static final Instant SEEN = Instant.parse("2026-12-01T10:00:00Z");
  private TestNode node;
  private Context loop;
  private LastSeenWriter writer;
  private AgentRepository agents;
  private GatewayRecord gateway;

  @BeforeEach
  void start() {
    node = TestNode.start(new MutableClock(Instant.now()), Map.of(), List.of());
    loop = node.vertx().getOrCreateContext();
    agents = node.context().agentRepository();
    writer = onLoop(() -> new LastSeenWriter(node.vertx(), agents, node.meters()));
    gateway = await(node.context().gatewayRepository().create("gw-last-seen", "http://127.0.0.1:1", 1));
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  void aBatchWritesEachAgentsLatestSightingWithoutAVersionBumpAndNeverMovesItBack() {
    List<AgentRecord> fleet = new ArrayList<>();
    // More than one batch: the second goes once the first returned.
    for (int i = 0; i < LastSeenWriter.MAX_BATCH + 10; i++) {
      fleet.add(await(agents.create(gateway.id(), "seen-" + i, 1)));
    }
    onLoop(() -> {
      for (int i = 0; i < fleet.size(); i++) {
        writer.record(fleet.get(i).id(), SEEN.plusSeconds(i));
      }
      writer.record(fleet.get(0).id(), SEEN.plusSeconds(5_000)); // seen again: the latest is kept
      writer.record(fleet.get(0).id(), SEEN.plusSeconds(4_000));
      return null;
    });
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      AgentRecord last = await(agents.find(fleet.get(fleet.size() - 1).id())).orElseThrow();
      assertThat(last.lastSeenAt()).isEqualTo(SEEN.plusSeconds(fleet.size() - 1));
    });
    AgentRecord first = await(agents.find(fleet.get(0).id())).orElseThrow();
    assertThat(first.lastSeenAt()).isEqualTo(SEEN.plusSeconds(5_000));
    assertThat(first.version()).as("bookkeeping: no writer loses a race to it").isEqualTo(fleet.get(0).version());
    assertThat(writer.pendingCount()).isZero();

    // An older sighting arriving late (another event loop's batch) does not move last_seen_at back. A
    // newer one of another agent rides in the same batch: once it is written, so is the batch.
    onLoop(() -> {
      writer.record(fleet.get(0).id(), SEEN);
      writer.record(fleet.get(1).id(), SEEN.plusSeconds(10_000));
      return null;
    });
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(await(agents.find(fleet.get(1).id())).orElseThrow().lastSeenAt()).isEqualTo(SEEN.plusSeconds(10_000)));
    assertThat(writer.pendingCount()).isZero();
    assertThat(await(agents.find(fleet.get(0).id())).orElseThrow().lastSeenAt()).isEqualTo(SEEN.plusSeconds(5_000));
  }

  @Test
  void aRowHeldByATransitionIsSkippedNotWaitedForSoTheOthersAreWrittenAtOnce() {
    AgentRecord held = await(agents.create(gateway.id(), "held", 1));
    AgentRecord free = await(agents.create(gateway.id(), "free", 1));
    SqlConnection conn = await(node.context().pool().getConnection());
    try {
      await(conn.query("BEGIN").execute());
      await(conn.preparedQuery("SELECT id FROM agents WHERE id = $1 FOR UPDATE").execute(Tuple.of(held.id())));
      onLoop(() -> {
        writer.record(held.id(), SEEN);
        writer.record(free.id(), SEEN);
        return null;
      });
      // Written while the other row is still locked: the batch did not wait for the lock.
      Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
          assertThat(await(agents.find(free.id())).orElseThrow().lastSeenAt()).isEqualTo(SEEN));
      await(conn.query("COMMIT").execute());
    } finally {
      conn.close();
    }
    assertThat(await(agents.find(held.id())).orElseThrow().lastSeenAt())
        .as("skipped; its next due heartbeat writes it").isNotEqualTo(SEEN.truncatedTo(ChronoUnit.MICROS));
  }

  /** Runs on the writer's event loop, as a heartbeat would. */
  private <T> T onLoop(java.util.function.Supplier<T> action) {
    Promise<T> result = Promise.promise();
    loop.runOnContext(v -> result.complete(action.get()));
    return await(result.future());
  }
}
