package dev.rollcall.core.testing;

import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.http.NodeRouters;
import dev.rollcall.core.http.RouteContributor;
import dev.rollcall.core.http.RouteScope;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.node.RollcallModule;
import dev.rollcall.core.persistence.Databases;
import dev.rollcall.core.redis.RedisClients;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A node for a module's tests: its own Vert.x, the shared test PostgreSQL and Redis, the given modules
 * deployed, and one HTTP listener on a free port whose router is built exactly as in production
 * ({@link NodeRouters}). Drive it over real HTTP with {@link #http()} and over the bus with
 * {@link #vertx()}.
 */
public final class TestNode implements AutoCloseable {
  public static final String ADMIN_TOKEN = "test-admin-token-0123456789";
  public static final Map<String, String> ADMIN = Map.of("Authorization", "Bearer " + ADMIN_TOKEN);

  private final Vertx vertx;
  private final NodeContext context;
  private final SimpleMeterRegistry meters;
  private final TestHttp http;
  private final String baseUrl;

  private TestNode(Vertx vertx, NodeContext context, SimpleMeterRegistry meters, String baseUrl) {
    this.vertx = vertx;
    this.context = context;
    this.meters = meters;
    this.baseUrl = baseUrl;
    this.http = new TestHttp(baseUrl);
  }

  public static TestNode start(Clock clock, Map<Setting, String> overrides, List<RollcallModule> modules) {
    TestServers servers = TestServers.get();
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.PG_URL, servers.pgUrl());
    settings.put(Setting.REDIS_URL, servers.redisUrl());
    settings.put(Setting.ADMIN_TOKEN, ADMIN_TOKEN);
    settings.putAll(overrides);
    RollcallConfig config = RollcallConfig.of(settings);
    Vertx vertx = Vertx.vertx();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Redis redis = RedisClients.client(vertx, config.redisUrl().orElseThrow());
    NodeContext node = new NodeContext("test-node", vertx, config, Databases.pool(vertx, servers.pgUrl(), 8),
        redis, RedisAPI.api(redis), meters, clock);
    for (RollcallModule module : modules) {
      await(module.deploy(node));
    }
    HttpServer[] server = new HttpServer[1];
    await(vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        List<RouteContributor> contributors = new ArrayList<>();
        RouteScope scope = new RouteScope(node);
        modules.forEach(m -> contributors.addAll(m.routes(scope)));
        return vertx.createHttpServer()
            .requestHandler(NodeRouters.build(vertx, node, contributors, true, true, null))
            .listen(0, "127.0.0.1")
            .onSuccess(s -> server[0] = s);
      }
    }));
    return new TestNode(vertx, node, meters, "http://127.0.0.1:" + server[0].actualPort());
  }

  public Vertx vertx() {
    return vertx;
  }

  public NodeContext context() {
    return context;
  }

  public SimpleMeterRegistry meters() {
    return meters;
  }

  public TestHttp http() {
    return http;
  }

  public String baseUrl() {
    return baseUrl;
  }

  @Override
  public void close() {
    await(vertx.close());
  }

  /** Waits on the test thread (never an event loop) for a future, failing the test if it fails. */
  public static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError("future failed: " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError("future did not complete: " + e, e);
    }
  }

  /** The failure of a future that must fail. */
  public static Throwable awaitFailure(Future<?> future) {
    try {
      future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("future succeeded but a failure was expected");
  }
}
