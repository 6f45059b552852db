package dev.rollcall.token;

import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.redis.RedisClients;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Register attempts per agent and per source address, per minute, counted in Redis so the limit holds
 * across every node (a flapping or hostile client cannot grind tickets by spreading over nodes). If
 * Redis does not answer, registration is not blocked: the limit fails open and says so in the log.
 */
final class RegisterLimiter {
  private static final Logger LOG = LoggerFactory.getLogger(RegisterLimiter.class);
  private static final long WINDOW_MS = 60_000;
  // Both counters in one atomic step; each key expires with its window.
  private static final String SCRIPT = "local a = redis.call('INCR', KEYS[1]) "
      + "if a == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end "
      + "local s = redis.call('INCR', KEYS[2]) "
      + "if s == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end "
      + "return {a, s}";

  private final RedisAPI redis;
  private final Clock clock;
  private final int perAgent;
  private final int perSource;

  RegisterLimiter(RedisAPI redis, Clock clock, int perAgent, int perSource) {
    this.redis = redis;
    this.clock = clock;
    this.perAgent = perAgent;
    this.perSource = perSource;
  }

  /** Succeeds when the attempt is within both limits; fails 429 {@code register_rate_limited} otherwise. */
  Future<Void> admit(UUID agentId, String source) {
    long window = clock.millis() / WINDOW_MS;
    long retryAfter = Math.max(1, (WINDOW_MS - clock.millis() % WINDOW_MS + 999) / 1000);
    String agentKey = RedisClients.KEY_PREFIX + "token:register:agent:" + agentId + ":" + window;
    String sourceKey = RedisClients.KEY_PREFIX + "token:register:source:" + source + ":" + window;
    return redis.eval(List.of(SCRIPT, "2", agentKey, sourceKey, String.valueOf(WINDOW_MS)))
        .recover(e -> {
          LOG.atWarn().addKeyValue("event", "token.register.limit_unavailable").addKeyValue("agent_id", agentId)
              .log("register limit not enforced, Redis did not answer: {}", e.getMessage());
          return Future.succeededFuture((Response) null);
        })
        .compose(counts -> {
          if (counts == null) {
            return Future.succeededFuture();
          }
          long byAgent = counts.get(0).toLong();
          long bySource = counts.get(1).toLong();
          if (byAgent > perAgent || bySource > perSource) {
            return Future.failedFuture(new ApiError(429, "register_rate_limited",
                byAgent > perAgent ? "too many register attempts for this agent; retry later"
                    : "too many register attempts from this address; retry later", true)
                .with("retryAfterSeconds", retryAfter).exception());
          }
          return Future.succeededFuture();
        });
  }
}
