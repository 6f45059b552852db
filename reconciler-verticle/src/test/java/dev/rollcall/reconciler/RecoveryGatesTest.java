package dev.rollcall.reconciler;

import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.redis.RedisClients;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TestServers;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The per-gateway re-provision bucket against a real Redis: waiting agents get turns, first come first served. */
@ExtendWith({VertxExtension.class, RealServersExtension.class})
class RecoveryGatesTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private RecoveryGates gates;
  private UUID gateway;

  @BeforeEach
  void setUp(Vertx vertx, TestServers servers) {
    // 60 per minute: one token a second; a burst of 2.
    gates = new RecoveryGates(RedisClients.client(vertx, servers.redisUrl()), 60, 2, Duration.ofSeconds(1), Duration.ofSeconds(8));
    gateway = UUID.randomUUID();
  }

  @Test
  void agentsBeyondTheBurstAreEachGivenTheirOwnTurnInsteadOfAllTheSameInstant() {
    List<UUID> agents = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      agents.add(UUID.randomUUID());
    }
    List<Long> waits = new ArrayList<>();
    for (UUID agent : agents) {
      waits.add(await(gates.tokenFor(gateway, agent, T0)).toMillis());
    }
    assertThat(waits).containsExactly(0L, 0L, 1_000L, 2_000L, 3_000L);
  }

  @Test
  void aReservedTurnIsKeptUntilItComesAndThenUsedOnce() {
    UUID first = UUID.randomUUID();
    UUID second = UUID.randomUUID();
    UUID waiting = UUID.randomUUID();
    await(gates.tokenFor(gateway, first, T0));
    await(gates.tokenFor(gateway, second, T0));
    assertThat(await(gates.tokenFor(gateway, waiting, T0))).isEqualTo(Duration.ofSeconds(1));
    // Asking again early neither loses the turn nor takes a second one.
    assertThat(await(gates.tokenFor(gateway, waiting, T0.plusMillis(400)))).isEqualTo(Duration.ofMillis(600));
    assertThat(await(gates.tokenFor(gateway, UUID.randomUUID(), T0.plusMillis(400)))).as("the next newcomer queues behind it")
        .isEqualTo(Duration.ofMillis(1_600));
    assertThat(await(gates.tokenFor(gateway, waiting, T0.plusSeconds(1)))).as("its turn came").isZero();
    // The turn is spent: the next call of the same agent queues like anyone's.
    assertThat(await(gates.tokenFor(gateway, waiting, T0.plusSeconds(1)))).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void theBucketRefillsAfterTheDebtIsPaid() {
    for (int i = 0; i < 4; i++) {
      await(gates.tokenFor(gateway, UUID.randomUUID(), T0));
    }
    // Two turns were reserved (1 s and 2 s); after 5 s the bucket has refilled to its burst.
    assertThat(await(gates.tokenFor(gateway, UUID.randomUUID(), T0.plusSeconds(5)))).isZero();
    assertThat(await(gates.tokenFor(gateway, UUID.randomUUID(), T0.plusSeconds(5)))).isZero();
    assertThat(await(gates.tokenFor(gateway, UUID.randomUUID(), T0.plusSeconds(5)))).isEqualTo(Duration.ofSeconds(1));
  }
}
