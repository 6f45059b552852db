package dev.rollcall.core.node;

import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.persistence.AgentRepository;
import dev.rollcall.core.persistence.GatewayRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.Objects;

/**
 * What every module of a Rollcall node shares, built once by the bootstrap and handed to each module
 * through its constructor: the Vert.x instance, the validated config, the PostgreSQL pool, the Redis
 * client, the meter registry and the clock (tests inject a controllable one).
 *
 * @param nodeId a name for this node in logs, metrics and the health ping reply
 */
public record NodeContext(String nodeId, Vertx vertx, RollcallConfig config, Pool pool, Redis redis, RedisAPI redisApi,
                          MeterRegistry meters, Clock clock) {

  public NodeContext {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(redis, "redis");
    Objects.requireNonNull(redisApi, "redisApi");
    Objects.requireNonNull(meters, "meters");
    Objects.requireNonNull(clock, "clock");
  }

  /** The agent repository of this node; committed status changes are announced on the bus. */
  public AgentRepository agentRepository() {
    return new AgentRepository(pool, clock, meters,
        transitioned -> vertx.eventBus().publish(Addresses.AGENT_TRANSITIONED, transitioned.toJson()));
  }

  public GatewayRepository gatewayRepository() {
    return new GatewayRepository(pool, clock);
  }
}
