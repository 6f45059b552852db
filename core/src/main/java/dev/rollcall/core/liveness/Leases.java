package dev.rollcall.core.liveness;

import dev.rollcall.core.redis.RedisClients;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.util.ArrayList;
import java.util.List;
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

  /** Last seen (epoch ms, null: no lease) of each agent, in order, with one ZMSCORE. */
  public static Future<List<Long>> lastSeenAll(Redis redis, List<UUID> agentIds) {
    return RedisClients.scores(redis, KEY, agentIds)
        .map(scores -> scores.stream().map(score -> score == null ? null : (Long) score.longValue()).toList());
  }

  /** A lease as read by a range query. */
  public record Lease(UUID agentId, long lastSeenMs) {
  }

  /**
   * Leases last seen in {@code [fromMs, toMs]}, oldest first, at most {@code limit}: with
   * {@code toMs = now - leaseTtl}, the leases that lapsed since {@code fromMs}. Cost: O(log N + result).
   */
  public static Future<List<Lease>> seenBetween(Redis redis, long fromMs, long toMs, int limit) {
    return redis.send(Request.cmd(Command.ZRANGEBYSCORE).arg(KEY).arg(fromMs).arg(toMs).arg("WITHSCORES")
            .arg("LIMIT").arg(0).arg(limit))
        .map(reply -> {
          List<Lease> leases = new ArrayList<>();
          if (reply == null || reply.size() == 0) {
            return leases;
          }
          boolean pairs = reply.get(0).type() == ResponseType.MULTI; // RESP3: [[member, score], ...]
          int step = pairs ? 1 : 2;
          for (int i = 0; i < reply.size(); i += step) {
            String member = pairs ? reply.get(i).get(0).toString() : reply.get(i).toString();
            double score = (pairs ? reply.get(i).get(1) : reply.get(i + 1)).toDouble();
            try {
              leases.add(new Lease(UUID.fromString(member), (long) score));
            } catch (IllegalArgumentException e) {
              // not an agent id: nothing to judge
            }
          }
          return leases;
        });
  }

  /** Drops the agent's lease (it was deleted). */
  public static Future<Void> remove(Redis redis, UUID agentId) {
    return redis.send(Request.cmd(Command.ZREM).arg(KEY).arg(agentId.toString())).mapEmpty();
  }
}
