package dev.rollcall.core.liveness;

import dev.rollcall.core.redis.RedisClients;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.Optional;
import java.util.UUID;

/**
 * Liveness leases: one Redis sorted set, {@code rollcall:leases}, member = agent id, score = when the
 * agent was last seen (epoch ms). An agent's lease is live while {@code score + leaseTtl >= now}.
 *
 * <p>Why one sorted set rather than a key with a TTL per agent: the heartbeat intake refreshes a whole
 * batch of leases with one {@code ZADD GT} (one command, not one per heartbeat), and the reconciler
 * finds lapsed leases with one range query whose cost is proportional to the lapsed ones, not to the
 * fleet. {@code GT} keeps a lease from moving backwards when two nodes flush out of order (Redis 6.2+).
 */
public final class Leases {
  public static final String KEY = RedisClients.KEY_PREFIX + "leases";

  private Leases() {
  }

  /** When the agent was last seen according to its lease; empty if it has none. */
  public static Future<Optional<Long>> lastSeen(Redis redis, UUID agentId) {
    return redis.send(Request.cmd(Command.ZSCORE).arg(KEY).arg(agentId.toString()))
        .map(r -> r == null ? Optional.<Long>empty() : Optional.of((long) r.toDouble().doubleValue()));
  }

  /** Drops the agent's lease (it was deleted). */
  public static Future<Void> remove(Redis redis, UUID agentId) {
    return redis.send(Request.cmd(Command.ZREM).arg(KEY).arg(agentId.toString())).mapEmpty();
  }
}
