package dev.rollcall.heartbeat;

import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.liveness.Leases;
import dev.rollcall.core.testing.MutableClock;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TestNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The lease batches against real Redis, driven on one event loop as the heartbeat routes drive them. */
@ExtendWith(RealServersExtension.class)
class LivenessStoreTest {
  private TestNode node;
  private Context loop;
  private LivenessStore store;

  @BeforeEach
  void start() {
    node = TestNode.start(new MutableClock(Instant.now()), Map.of(), List.of());
    loop = node.vertx().getOrCreateContext();
    store = onLoop(() -> new LivenessStore(node.vertx(), node.context().redis(), node.meters()));
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  void aSightingIsWrittenOnceWithItsLatestTimeAndADeletedAgentsWaitingOneNotAtAll() {
    UUID kept = UUID.randomUUID();
    UUID deleted = UUID.randomUUID();
    LivenessStore.Lease keptLease = new LivenessStore.Lease(kept);
    LivenessStore.Lease deletedLease = new LivenessStore.Lease(deleted);
    // Not confirmed yet: the first heartbeat waits for its lease to be stored.
    await(onLoop(() -> store.record(keptLease, 1_000)));
    assertThat(await(Leases.lastSeen(node.context().redis(), kept))).contains(1_000L);

    // Confirmed: sightings wait a few milliseconds for their batch. The deleted agent's batch holds
    // nothing else; sending it would be a ZADD without members, an error that unsettles the store.
    Future<Void> answered = onLoop(() -> {
      Future<Void> first = store.record(deletedLease, 2_000);
      store.forget(deletedLease);
      return first;
    });
    assertThat(answered.succeeded()).as("answered at once while the store is confirmed").isTrue();
    // A real wait, kept: the batch goes when its LINGER_MILLIS (10 ms) Vert.x timer fires, which no test
    // clock drives, and the sightings below must not join it (or it would not be empty).
    Awaitility.await().pollDelay(Duration.ofMillis(100)).atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(await(Leases.lastSeen(node.context().redis(), deleted))).isEmpty());

    Future<Void> later = onLoop(() -> {
      store.record(keptLease, 3_000);
      store.record(keptLease, 5_000);
      return store.record(keptLease, 4_000);
    });
    assertThat(later.succeeded()).as("the store is still confirmed").isTrue();
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(await(Leases.lastSeen(node.context().redis(), kept))).contains(5_000L));
    assertThat(await(Leases.lastSeen(node.context().redis(), deleted))).isEmpty();
  }

  @Test
  void aDeletedAgentsHeartbeatIsNotLeftWaitingForABatchThatWillNeverCarryIt() {
    // The store is not confirmed yet, so heartbeats wait for their batch; a forgotten lease joins none.
    LivenessStore.Lease lease = new LivenessStore.Lease(UUID.randomUUID());
    Future<Void> answered = onLoop(() -> {
      store.forget(lease);
      return store.record(lease, 1_000);
    });
    assertThat(answered.succeeded()).isTrue();
  }

  /** Runs on the store's event loop and returns what it returned, as a heartbeat would see it there. */
  private <T> T onLoop(Supplier<T> action) {
    Promise<T> result = Promise.promise();
    loop.runOnContext(v -> result.complete(action.get()));
    return await(result.future());
  }
}
