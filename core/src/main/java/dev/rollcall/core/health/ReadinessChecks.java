package dev.rollcall.core.health;

import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.node.ClusterMembership;
import dev.rollcall.core.redis.RedisClients;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.redis.client.RedisAPI;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What "ready" means for a Rollcall node: PostgreSQL answers, Redis answers, the event bus delivers
 * a request to some node and back, and, when clustered, the node is a cluster member (the check lists
 * the members it sees; a node cut off from the others is still UP, with fewer members). Liveness ({@link #liveness}) checks nothing external, so a database
 * outage makes a node unready (taken out of rotation) without getting it restarted.
 */
public final class ReadinessChecks {
  /** Per-check deadline: a hung dependency must answer DOWN quickly, not hang the probe. */
  public static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);

  private ReadinessChecks() {
  }

  public static HealthChecks liveness(Vertx vertx) {
    return HealthChecks.create(vertx).register("process", promise -> promise.complete(Status.OK()));
  }

  public static HealthChecks readiness(Vertx vertx, Pool pool, RedisAPI redis) {
    long timeoutMs = CHECK_TIMEOUT.toMillis();
    HealthChecks checks = HealthChecks.create(vertx);
    if (vertx.isClustered()) {
      // Which cluster this node is in, as it sees it: a node split from the others still serves its
      // own requests, but an operator comparing member counts across nodes sees the split.
      checks.register("cluster", timeoutMs, promise -> {
        ClusterMembership.View view = ClusterMembership.of(vertx);
        promise.complete(view.lost()
            ? Status.KO(new JsonObject().put("error", "not a cluster member: " + view.lostBecause()))
            : Status.OK(new JsonObject().put("node", view.nodeId()).put("members", view.members().size())
                .put("memberIds", new JsonArray(view.members()))));
      });
    }
    return checks
        .register("postgresql", timeoutMs, promise -> complete(promise,
            pool.query("SELECT 1").execute().timeout(timeoutMs, TimeUnit.MILLISECONDS).mapEmpty()))
        .register("redis", timeoutMs, promise -> complete(promise, RedisClients.ping(vertx, redis, CHECK_TIMEOUT)))
        .register("event-bus", timeoutMs, promise -> complete(promise,
            vertx.eventBus().<JsonObject>request(Addresses.HEALTH_PING, new JsonObject(),
                    new DeliveryOptions().setSendTimeout(timeoutMs))
                .map(reply -> reply.body())));
  }

  private static void complete(Promise<Status> promise, Future<?> check) {
    check.onComplete(ar -> {
      if (ar.succeeded()) {
        promise.complete(ar.result() instanceof JsonObject data ? Status.OK(data) : Status.OK());
      } else {
        promise.complete(Status.KO(new JsonObject().put("error", String.valueOf(ar.cause().getMessage()))));
      }
    });
  }
}
