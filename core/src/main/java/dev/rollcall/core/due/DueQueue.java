package dev.rollcall.core.due;

import dev.rollcall.core.redis.RedisClients;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * The reconciler's due queue: one Redis sorted set, {@code rollcall:due}, member = agent id, score =
 * when the reconciler must look at the agent again (epoch ms). Entries carry no instruction: the
 * reconciler is level-triggered and decides from the agent's record when the entry comes due, so a
 * duplicate or stale entry is harmless. {@code ZADD LT} keeps the earliest time when several writers
 * schedule one agent. If Redis loses the set, the reconciler's sweep of PostgreSQL rebuilds it.
 */
public final class DueQueue {
  public static final String KEY = RedisClients.KEY_PREFIX + "due";

  private DueQueue() {
  }

  /** Asks the reconciler to look at the agent at {@code at} (or earlier, if already asked). */
  public static Future<Void> schedule(Redis redis, UUID agentId, Instant at) {
    return redis.send(Request.cmd(Command.ZADD).arg(KEY).arg("LT").arg(at.toEpochMilli()).arg(agentId.toString()))
        .mapEmpty();
  }

  /** When the agent is due, if it is queued. */
  public static Future<Optional<Instant>> dueAt(Redis redis, UUID agentId) {
    return redis.send(Request.cmd(Command.ZSCORE).arg(KEY).arg(agentId.toString()))
        .map(r -> r == null ? Optional.<Instant>empty() : Optional.of(Instant.ofEpochMilli((long) r.toDouble().doubleValue())));
  }

  /** Drops the agent's entry (it was deleted: there is nothing left to look at). */
  public static Future<Void> remove(Redis redis, UUID agentId) {
    return redis.send(Request.cmd(Command.ZREM).arg(KEY).arg(agentId.toString())).mapEmpty();
  }
}
