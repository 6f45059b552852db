package dev.rollcall.reconciler;

import dev.rollcall.core.redis.RedisClients;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * The two gates every recovery action (a wake or a re-provision the reconciler starts) passes, both in
 * Redis so that every reconciler node shares them:
 * <ul>
 *   <li>the probe slot of an unreachable gateway: one agent at a time may be recovered there, and each
 *       new probe waits twice as long as the last (mass failure is not agent failure);</li>
 *   <li>a token bucket per gateway: re-provision storms are rate-limited ({@code reprovisionsPerMinute},
 *       {@code reprovisionBurst}).</li>
 * </ul>
 */
final class RecoveryGates {
  private static final String BUCKET_PREFIX = RedisClients.KEY_PREFIX + "recovery-bucket:";
  private static final String RESERVATION_PREFIX = RedisClients.KEY_PREFIX + "recovery-turn:";
  private static final String PROBE_PREFIX = RedisClients.KEY_PREFIX + "probe:";
  private static final String PROBE_COUNT_PREFIX = RedisClients.KEY_PREFIX + "probes:";

  /**
   * KEYS[1] bucket hash, KEYS[2] the agent's reservation; ARGV: tokens per ms, burst, now ms, key ttl ms.
   * Returns 0 when the agent may go now (a token taken, or its reservation is due), else the ms until
   * its reserved turn.
   *
   * <p>A caller that finds the bucket empty does not just learn when the next token comes: it reserves
   * it (the bucket goes into debt by one) and keeps the reservation until its turn. Without that, every
   * waiting agent of a gateway is told the same instant, one wins and the rest are looked at again and
   * again: at 100 waiting agents that was most of the reconciler's work and a lapse-scan lag of seconds.
   * With it, each waiting agent is looked at once more, at its own turn, and the turns are first come,
   * first served. A reservation that is never used (the agent came back by itself) expires after its
   * turn; its slot is lost, which only delays later agents by one token.
   */
  private static final String TAKE_TOKEN = """
      local now = tonumber(ARGV[3])
      local reserved = tonumber(redis.call('GET', KEYS[2]))
      if reserved then
        if now >= reserved then
          redis.call('DEL', KEYS[2])
          return 0
        end
        return reserved - now
      end
      local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
      local rate = tonumber(ARGV[1])
      local burst = tonumber(ARGV[2])
      local tokens = tonumber(state[1]) or burst
      local at = tonumber(state[2]) or now
      if now > at then
        tokens = math.min(burst, tokens + (now - at) * rate)
      end
      local wait = 0
      if tokens < 1 then
        wait = math.ceil((1 - tokens) / rate - 1e-6)
        redis.call('SET', KEYS[2], tostring(now + wait), 'PX', wait + tonumber(ARGV[4]))
      end
      tokens = tokens - 1
      redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
      redis.call('PEXPIRE', KEYS[1], wait + tonumber(ARGV[4]))
      return wait
      """;

  /**
   * KEYS[1] probe slot, KEYS[2] probe counter; ARGV: agent id, base ms, max ms. The slot's holder may
   * act again while it holds it; anyone else waits for it to expire. Returns 0 when this agent holds
   * the slot, else the ms until it frees.
   */
  private static final String TAKE_PROBE = """
      local holder = redis.call('GET', KEYS[1])
      if holder == ARGV[1] then
        return 0
      end
      if holder then
        return math.max(1, redis.call('PTTL', KEYS[1]))
      end
      local n = redis.call('INCR', KEYS[2])
      redis.call('PEXPIRE', KEYS[2], 86400000)
      local ttl = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * 2 ^ math.min(n - 1, 30))
      redis.call('SET', KEYS[1], ARGV[1], 'PX', math.floor(ttl))
      return 0
      """;

  private final Redis redis;
  private final double tokensPerMs;
  private final int burst;
  private final Duration probeBase;
  private final Duration probeMax;

  RecoveryGates(Redis redis, int perMinute, int burst, Duration probeBase, Duration probeMax) {
    this.redis = redis;
    this.tokensPerMs = perMinute / 60_000.0;
    this.burst = burst;
    this.probeBase = probeBase;
    this.probeMax = probeMax;
  }

  /** Zero when the agent may be recovered now, else how long until its reserved turn. */
  Future<Duration> tokenFor(UUID gatewayId, UUID agentId, Instant now) {
    long keyTtl = (long) Math.ceil(burst / tokensPerMs) + 60_000;
    return redis.send(Request.cmd(Command.EVAL).arg(TAKE_TOKEN).arg(2).arg(BUCKET_PREFIX + gatewayId).arg(RESERVATION_PREFIX + agentId)
            .arg(Double.toString(tokensPerMs)).arg(burst).arg(now.toEpochMilli()).arg(keyTtl))
        .map(wait -> Duration.ofMillis(wait.toLong()));
  }

  /** Zero when this agent holds (or just took) the unreachable gateway's probe slot, else how long to wait. */
  Future<Duration> probeSlotFor(UUID gatewayId, UUID agentId) {
    return redis.send(Request.cmd(Command.EVAL).arg(TAKE_PROBE).arg(2).arg(PROBE_PREFIX + gatewayId).arg(PROBE_COUNT_PREFIX + gatewayId)
            .arg(agentId.toString()).arg(probeBase.toMillis()).arg(probeMax.toMillis()))
        .map(wait -> Duration.ofMillis(wait.toLong()));
  }

  /** The gateway is reachable again: its probe backoff starts afresh next time. */
  Future<Void> resetProbes(UUID gatewayId) {
    return redis.send(Request.cmd(Command.DEL).arg(PROBE_PREFIX + gatewayId).arg(PROBE_COUNT_PREFIX + gatewayId)).mapEmpty();
  }
}
