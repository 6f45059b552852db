package dev.rollcall.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.embedded.EmbeddedServers;
import dev.rollcall.core.persistence.Databases;
import dev.rollcall.core.redis.RedisClients;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TestServers;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.RedisAPI;
import io.vertx.sqlclient.Pool;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Readiness is DOWN, per check, when a dependency does not answer; UP when all three do. */
@ExtendWith({VertxExtension.class, RealServersExtension.class})
class ReadinessChecksTest {

  @Test
  void upWhenPostgresRedisAndBusAnswer(Vertx vertx, TestServers servers) throws Exception {
    vertx.eventBus().consumer(Addresses.HEALTH_PING, msg -> msg.reply(new JsonObject().put("node", "test")));
    Pool pool = Databases.pool(vertx, servers.pgUrl(), 2);
    RedisAPI redis = RedisAPI.api(RedisClients.client(vertx, servers.redisUrl()));
    Map<String, Boolean> checks = check(ReadinessChecks.readiness(vertx, pool, redis).checkStatus().toCompletionStage()
        .toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertThat(checks).containsEntry("postgresql", true).containsEntry("redis", true).containsEntry("event-bus", true);
  }

  @Test
  void downWhenRedisIsUnreachableOrNobodyAnswersTheBus(Vertx vertx, TestServers servers) throws Exception {
    Pool pool = Databases.pool(vertx, servers.pgUrl(), 2);
    RedisAPI deadRedis = RedisAPI.api(RedisClients.client(vertx, "redis://127.0.0.1:" + EmbeddedServers.freePort()));
    CheckResult result = ReadinessChecks.readiness(vertx, pool, deadRedis).checkStatus().toCompletionStage()
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(result.getUp()).isFalse();
    assertThat(check(result)).containsEntry("postgresql", true).containsEntry("redis", false).containsEntry("event-bus", false);
  }

  private static Map<String, Boolean> check(CheckResult result) {
    return result.getChecks().stream().collect(Collectors.toMap(CheckResult::getId, CheckResult::getUp));
  }
}
