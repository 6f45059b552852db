package dev.rollcall.core.due;

import dev.rollcall.core.redis.RedisClients;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The reconciler's due queue: one Redis sorted set, {@code rollcall:due}, member = agent id, score =
 * when the reconciler must look at the agent again (epoch ms). Entries carry no instruction: the
 * reconciler is level-triggered and decides from the agent's record when the entry comes due, so a
 * duplicate or stale entry is harmless. {@code ZADD LT} keeps the earliest time when several writers
 * schedule one agent. If Redis loses the set, the reconciler's sweep of PostgreSQL rebuilds it.
 *
 * <p>Claims without a second structure: {@link #claim} atomically takes the due members and moves
 * their score to {@code now + visibility}. A claimed entry is invisible to every other claimer until
 * then; if its claimer dies, it simply comes due again. {@link #complete} settles a claim only if the
 * entry still carries the claim's score, so a schedule written meanwhile (an earlier deadline) is kept.
 * A claim costs O(log N + due), never a scan of the fleet.
 */
public final class DueQueue {
  public static final String KEY = RedisClients.KEY_PREFIX + "due";

  /** KEYS[1] due set; ARGV: now ms, claim score (now + visibility), limit. Returns the claimed members. */
  private static final String CLAIM = """
      local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
      for _, member in ipairs(due) do
        redis.call('ZADD', KEYS[1], 'XX', ARGV[2], member)
      end
      return due
      """;

  /**
   * KEYS[1] due set; ARGV: triples of (member, claim score, next due ms or ''). For each: the entry still
   * holds our claim, so it is replaced by the next look (or dropped); or someone scheduled it meanwhile,
   * so the earlier of the two is kept.
   */
  private static final String COMPLETE = """
      for i = 1, #ARGV, 3 do
        local member, claimed, nextDue = ARGV[i], ARGV[i + 1], ARGV[i + 2]
        local current = redis.call('ZSCORE', KEYS[1], member)
        if current and tonumber(current) == tonumber(claimed) then
          if nextDue == '' then
            redis.call('ZREM', KEYS[1], member)
          else
            redis.call('ZADD', KEYS[1], nextDue, member)
          end
        elseif nextDue ~= '' then
          redis.call('ZADD', KEYS[1], 'LT', nextDue, member)
        end
      end
      return 1
      """;

  private DueQueue() {
  }

  /** A claimed entry: the agent, and the score that marks the claim (the completion's condition). */
  public record Claim(UUID agentId, long claimScore) {
  }

  /** Asks the reconciler to look at the agent at {@code at} (or earlier, if already asked). */
  public static Future<Void> schedule(Redis redis, UUID agentId, Instant at) {
    return redis.send(Request.cmd(Command.ZADD).arg(KEY).arg("LT").arg(at.toEpochMilli()).arg(agentId.toString()))
        .mapEmpty();
  }

  /** {@link #schedule} for many agents in one command. */
  public static Future<Void> scheduleAll(Redis redis, Collection<UUID> agentIds, Instant at) {
    if (agentIds.isEmpty()) {
      return Future.succeededFuture();
    }
    Request zadd = Request.cmd(Command.ZADD).arg(KEY).arg("LT");
    long score = at.toEpochMilli();
    for (UUID id : agentIds) {
      zadd.arg(score).arg(id.toString());
    }
    return redis.send(zadd).mapEmpty();
  }

  /**
   * Takes at most {@code limit} entries due at {@code now} and hides them from other claimers for
   * {@code visibility}. Entries whose member is not an agent id are dropped (nothing can act on them).
   */
  public static Future<List<Claim>> claim(Redis redis, Instant now, Duration visibility, int limit) {
    long claimScore = now.toEpochMilli() + visibility.toMillis();
    return redis.send(Request.cmd(Command.EVAL).arg(CLAIM).arg(1).arg(KEY)
            .arg(now.toEpochMilli()).arg(claimScore).arg(limit))
        .map(reply -> {
          List<Claim> claims = new ArrayList<>(reply == null ? 0 : reply.size());
          if (reply != null) {
            for (Response member : reply) {
              parse(member.toString()).ifPresent(id -> claims.add(new Claim(id, claimScore)));
            }
          }
          return claims;
        });
  }

  /**
   * Settles a claim: the entry moves to {@code next} (null: removed) if it still holds this claim;
   * otherwise it was scheduled meanwhile and keeps the earlier of that schedule and {@code next}.
   */
  public static Future<Void> complete(Redis redis, Claim claim, Instant next) {
    return completeAll(redis, java.util.Collections.singletonMap(claim, next));
  }

  /** {@link #complete} for a whole batch, in one script call (a batch is hundreds of claims). */
  public static Future<Void> completeAll(Redis redis, Map<Claim, Instant> nextLooks) {
    if (nextLooks.isEmpty()) {
      return Future.succeededFuture();
    }
    Request eval = Request.cmd(Command.EVAL).arg(COMPLETE).arg(1).arg(KEY);
    nextLooks.forEach((claim, next) -> eval.arg(claim.agentId().toString()).arg(claim.claimScore())
        .arg(next == null ? "" : String.valueOf(next.toEpochMilli())));
    return redis.send(eval).mapEmpty();
  }

  /** When the agent is due, if it is queued. */
  public static Future<Optional<Instant>> dueAt(Redis redis, UUID agentId) {
    return redis.send(Request.cmd(Command.ZSCORE).arg(KEY).arg(agentId.toString()))
        .map(r -> r == null ? Optional.<Instant>empty() : Optional.of(Instant.ofEpochMilli((long) r.toDouble().doubleValue())));
  }

  /** Which of {@code agentIds} have an entry (one ZMSCORE). */
  public static Future<List<Boolean>> queued(Redis redis, List<UUID> agentIds) {
    return RedisClients.scores(redis, KEY, agentIds).map(scores -> scores.stream().map(score -> score != null).toList());
  }

  /** Entries in the queue, and the earliest due time (empty queue: null). */
  public static Future<Depth> depth(Redis redis) {
    return redis.send(Request.cmd(Command.ZCARD).arg(KEY)).compose(card ->
        redis.send(Request.cmd(Command.ZRANGE).arg(KEY).arg(0).arg(0).arg("WITHSCORES")).map(first -> {
          Instant oldest = null;
          if (first != null && first.size() > 0) {
            // RESP2 gives [member, score]; RESP3 gives [[member, score]].
            Response pair = first.get(0).type() == io.vertx.redis.client.ResponseType.MULTI ? first.get(0) : first;
            oldest = Instant.ofEpochMilli((long) pair.get(1).toDouble().doubleValue());
          }
          return new Depth(card.toLong(), oldest);
        }));
  }

  /** The queue's size and its earliest due time (null when empty). */
  public record Depth(long entries, Instant oldestDue) {
  }

  /** Drops the agent's entry (it was deleted: there is nothing left to look at). */
  public static Future<Void> remove(Redis redis, UUID agentId) {
    return redis.send(Request.cmd(Command.ZREM).arg(KEY).arg(agentId.toString())).mapEmpty();
  }

  private static Optional<UUID> parse(String member) {
    try {
      return Optional.of(UUID.fromString(member));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
