package dev.rollcall.core.redis;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import java.util.List;

/**
 * The node's Redis client: soft state (liveness leases), the due queue and short locks. Keys are
 * {@code rollcall:<context>:<id>}. Losing Redis loses nothing that PostgreSQL cannot rebuild.
 */
public final class RedisClients {
  /** Prefix of every key Rollcall writes. */
  public static final String KEY_PREFIX = "rollcall:";

  private RedisClients() {
  }

  public static Redis client(Vertx vertx, String url) {
    RedisOptions options = new RedisOptions()
        .setConnectionString(url)
        .setMaxPoolSize(8)
        .setMaxPoolWaiting(256)
        .setMaxWaitingHandlers(2048);
    return Redis.createClient(vertx, options);
  }

  /** The scores of {@code members} in sorted set {@code key}, in order (null: not a member), with one ZMSCORE. */
  public static Future<List<Double>> scores(Redis redis, String key, List<?> members) {
    if (members.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    io.vertx.redis.client.Request zmscore = io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.ZMSCORE).arg(key);
    members.forEach(m -> zmscore.arg(m.toString()));
    return redis.send(zmscore).map(reply -> {
      List<Double> scores = new java.util.ArrayList<>(members.size());
      for (io.vertx.redis.client.Response score : reply) {
        scores.add(score == null ? null : score.toDouble());
      }
      return scores;
    });
  }

  /** PING with a deadline; fails when Redis does not answer PONG in time. */
  public static Future<Void> ping(Vertx vertx, RedisAPI api, Duration timeout) {
    return api.ping(List.of())
        .timeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .compose(reply -> reply != null && "PONG".equalsIgnoreCase(reply.toString())
            ? Future.succeededFuture()
            : Future.failedFuture("unexpected PING reply: " + reply));
  }
}
