package dev.rollcall.app;

import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.embedded.EmbeddedServers;
import dev.rollcall.core.metrics.Metrics;
import dev.rollcall.core.node.ClusterMembership;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.heartbeat.HeartbeatModule;
import dev.rollcall.token.TokenModule;
import dev.rollcall.core.node.RollcallModule;
import dev.rollcall.core.persistence.Databases;
import dev.rollcall.core.persistence.Migrations;
import dev.rollcall.core.redis.RedisClients;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.sqlclient.Pool;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Rollcall node. {@link #start} is the one bootstrap: embedded servers (dev, when no URLs are
 * configured), migrations, Vert.x with Micrometer, the shared pool and Redis client, a reachability
 * check, then the modules and the HTTP listeners in a linear chain. Runs on the caller's thread (the
 * main thread), never on an event loop: migrations and embedded servers block.
 */
public final class Node implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Node.class);
  private static final Duration DEPLOY_TIMEOUT = Duration.ofSeconds(60);
  /** A dispatch pass is bounded by 3 gateway timeouts; a stop waits that long at most, then closes under it. */
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

  /** {@code dev} brings its own servers and the gateway simulator; {@code serve} uses configured servers only. */
  public enum Mode { DEV, SERVE }

  private final Vertx vertx;
  private final EmbeddedServers embedded;
  private final NodeContext context;
  private final List<Listener> listeners;
  private final boolean generatedAdminToken;
  private final String httpDeployment;
  private final SchedulingLag schedulingLag;

  private Node(Vertx vertx, EmbeddedServers embedded, NodeContext context, List<Listener> listeners,
               boolean generatedAdminToken, String httpDeployment, SchedulingLag schedulingLag) {
    this.schedulingLag = schedulingLag;
    this.generatedAdminToken = generatedAdminToken;
    this.httpDeployment = httpDeployment;
    this.vertx = vertx;
    this.embedded = embedded;
    this.context = context;
    this.listeners = listeners;
  }

  public static Node start(RollcallConfig config, Mode mode, List<RollcallModule> modules) {
    return start(config, mode, modules, false);
  }

  /**
   * @param clustered join the Hazelcast cluster ({@link ClusterConfigs}): the event bus then spans every
   *     node, so each module's consumers may live on any node, in any number
   */
  public static Node start(RollcallConfig config, Mode mode, List<RollcallModule> modules, boolean clustered) {
    EmbeddedServers embedded = null;
    Vertx vertx = null;
    try {
      if (mode == Mode.DEV && (config.pgUrl().isEmpty() || config.redisUrl().isEmpty())) {
        embedded = EmbeddedServers.start(config.pgUrl().isEmpty(), config.redisUrl().isEmpty());
        Map<Setting, String> urls = new EnumMap<>(Setting.class);
        if (embedded.pgUrl() != null) {
          urls.put(Setting.PG_URL, embedded.pgUrl());
        }
        if (embedded.redisUrl() != null) {
          urls.put(Setting.REDIS_URL, embedded.redisUrl());
        }
        config = config.with(urls);
      }
      boolean generatedAdminToken = false;
      if (config.adminToken().isEmpty()) {
        if (mode == Mode.SERVE) {
          throw new StartupException("serve needs " + Setting.ADMIN_TOKEN.env() + " (at least 16 characters): "
              + "every operator endpoint requires it as a bearer token");
        }
        config = config.with(Map.of(Setting.ADMIN_TOKEN, generateAdminToken()));
        generatedAdminToken = true;
      }
      if (mode == Mode.SERVE && (config.pgUrl().isEmpty() || config.redisUrl().isEmpty())) {
        throw new StartupException("serve uses configured servers only: set " + Setting.PG_URL.env() + " and "
            + Setting.REDIS_URL.env() + " (or run `rollcall dev` for embedded ones)");
      }
      // Ports are chosen before anything uses the config: with port 0 the agents must still be told the
      // real one (publicUrl defaults to the agent listener's address).
      List<Listener> listeners = listeners(config, mode);
      if (config.agentPort().orElse(config.httpPort()) == 0 && !config.describe().containsKey(Setting.PUBLIC_URL.key())) {
        Listener agentListener = listeners.stream().filter(Listener::agentApi).findFirst().orElseThrow();
        config = config.with(Map.of(Setting.PUBLIC_URL, agentListener.url()));
      }
      String pgUrl = config.pgUrl().orElseThrow();
      String redisUrl = config.redisUrl().orElseThrow();
      migrate(pgUrl, config.startupCheckTimeout());

      String nodeId = nodeId();
      PrometheusMeterRegistry registry = Metrics.newRegistry(nodeId);
      Gauge.builder("rollcall.build.info", () -> 1)
          .description("Always 1; the version tag says which Rollcall build runs on this node")
          .tag("version", version())
          .register(registry);
      // Native epoll where Netty's native library loads (Linux); NIO otherwise, logged at start.
      VertxOptions options = new VertxOptions().setMetricsOptions(Metrics.vertxOptions()).setPreferNativeTransport(true);
      if (clustered) {
        options.getEventBusOptions().setPort(config.eventBusPort());
        if (config.hazelcastConfig().isEmpty()) {
          // With a Hazelcast file, Vert.x takes the event bus's address from the cluster manager (the
          // file's interfaces and public address) rather than clusterHost's default 127.0.0.1.
          options.getEventBusOptions().setHost(config.clusterHost()).setClusterPublicHost(config.clusterHost());
        }
        vertx = await(Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry))
            .withClusterManager(new HazelcastClusterManager(ClusterConfigs.hazelcast(config))).buildClustered(),
            "joining the cluster (" + Setting.CLUSTER_MEMBERS.env() + "=" + String.join(",", config.clusterMembers()) + ")");
      } else {
        vertx = Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry)).build();
      }
      // The node's event-loop lag as a metric (Vert.x's default pool: two loops per core); the probes stop with Vert.x.
      SchedulingLag schedulingLag = new SchedulingLag(vertx, 2 * Runtime.getRuntime().availableProcessors(), registry);
      Vertx forGauge = vertx;
      // A node that is not clustered is a cluster of one; a clustered node that lost its membership, of none.
      Gauge.builder("rollcall.cluster.members", () -> clusterMembers(forGauge))
          .description("Members of the cluster this node sees, itself included (1 when not clustered)").register(registry);
      Pool pool = Databases.pool(vertx, pgUrl, config.pgPoolSize());
      Redis redis = RedisClients.client(vertx, redisUrl);
      RedisAPI redisApi = RedisAPI.api(redis);
      NodeContext context = new NodeContext(nodeId, vertx, config, pool, redis, redisApi, registry, Clock.systemUTC());

      checkReachable(context, pgUrl, redisUrl);
      for (RollcallModule module : modules) {
        await(module.deploy(context), "deploying module " + module.name());
        LOG.atInfo().addKeyValue("event", "module.deployed").addKeyValue("module", module.name()).log("module deployed");
      }
      List<String> names = modules.stream().map(RollcallModule::name).toList();
      if (names.contains(HeartbeatModule.NAME) && !names.contains(TokenModule.NAME)) {
        LOG.atWarn().addKeyValue("event", "node.heartbeat_without_token")
            .log(clustered ? "heartbeat runs without token on this node: every credential-cache miss waits on another node's token verticle"
                : "heartbeat runs without token and without --cluster: credential-cache misses cannot be answered (503)");
      }
      Vertx v = vertx;
      String httpDeployment = await(vertx.deployVerticle(() -> new HttpVerticle(context, modules, listeners, registry),
          new DeploymentOptions().setInstances(config.httpInstances())), "starting the HTTP listeners");
      LOG.atInfo().addKeyValue("event", "node.started").addKeyValue("node", nodeId).addKeyValue("mode", mode.name().toLowerCase())
          .addKeyValue("transport", vertx.isNativeTransportEnabled() ? "epoll" : "nio")
          .addKeyValue("cluster_members", clusterMembers(vertx))
          .addKeyValue("modules", names)
          .log("Rollcall node started with {}", config.describe().encode());
      return new Node(v, embedded, context, listeners, generatedAdminToken, httpDeployment, schedulingLag);
    } catch (RuntimeException e) {
      if (vertx != null) {
        closeQuietly(vertx);
      }
      if (embedded != null) {
        embedded.close();
      }
      throw e instanceof StartupException ? e : new StartupException(e.getMessage(), e);
    }
  }

  /** How late this node's event loops run (also {@code rollcall.eventloop.lag}). */
  SchedulingLag schedulingLag() {
    return schedulingLag;
  }

  public Vertx vertx() {
    return vertx;
  }

  public NodeContext context() {
    return context;
  }

  List<Listener> listeners() {
    return listeners;
  }

  /** The lines printed when a node is up: where it listens and what backs it. */
  public String banner() {
    StringBuilder sb = new StringBuilder();
    for (Listener l : listeners) {
      sb.append("  ").append(l.name()).append(": ").append(l.url()).append("  (").append(l.serves()).append(")\n");
    }
    sb.append("  PostgreSQL: ").append(RollcallConfig.redactPassword(context.config().pgUrl().orElseThrow()))
        .append(embedded != null && embedded.pgUrl() != null ? "  (embedded, discarded on exit)" : "").append('\n');
    sb.append("  Redis: ").append(RollcallConfig.redactPassword(context.config().redisUrl().orElseThrow()))
        .append(embedded != null && embedded.redisUrl() != null ? "  (embedded, discarded on exit)" : "").append('\n');
    if (generatedAdminToken) {
      // Printed once, here, for the person who started dev; never logged. Set ROLLCALL_ADMIN_TOKEN to choose it.
      sb.append("  Operator API token (generated for this run): ").append(context.config().adminToken().orElseThrow())
          .append("\n    use it as 'Authorization: Bearer <token>'; set ROLLCALL_ADMIN_TOKEN to choose your own\n");
    }
    return sb.toString();
  }

  /** Members this node sees: 1 when not clustered, 0 when its own member is gone. */
  private static int clusterMembers(Vertx vertx) {
    ClusterMembership.View view = ClusterMembership.of(vertx);
    return view.clustered() ? view.members().size() : 1;
  }

  /**
   * A node lost without goodbye, for failure tests: its Hazelcast member is terminated (no graceful leave;
   * the others find out as from a dead process), then the rest is closed.
   */
  void crash() {
    if (vertx instanceof VertxInternal internal && internal.clusterManager() instanceof HazelcastClusterManager hazelcast) {
      hazelcast.getHazelcastInstance().getLifecycleService().terminate();
    }
    // No orderly stop: a lost node does not drain its passes.
    closeQuietly(vertx);
    if (embedded != null) {
      embedded.close();
    }
  }

  /**
   * Stops in dependency order: the HTTP listeners (no new intake), then the modules, whose stop() cancels
   * their timers and waits for the pass under way, then the PostgreSQL pool and Redis client they used,
   * then Vert.x. Closing Vert.x alone closed the pool under a dispatch pass ("Pool closed" at every stop).
   */
  @Override
  public void close() {
    try {
      Future<Void> http = httpDeployment == null ? Future.succeededFuture() : vertx.undeploy(httpDeployment);
      http.recover(e -> Future.succeededFuture())
          .compose(v -> Future.join(vertx.deploymentIDs().stream()
              .filter(id -> !id.equals(httpDeployment))
              .map(vertx::undeploy).toList()))
          .recover(e -> Future.succeededFuture())
          .compose(v -> context.pool().close())
          .onComplete(v -> context.redis().close())
          .toCompletionStage().toCompletableFuture().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      LOG.atInfo().addKeyValue("event", "node.stopped").addKeyValue("node", context.nodeId()).log("Rollcall node stopped");
    } catch (Exception e) {
      LOG.warn("stopping the modules did not finish within {} s; closing Vert.x under them: {}", STOP_TIMEOUT.toSeconds(), e.toString());
    }
    closeQuietly(vertx);
    if (embedded != null) {
      embedded.close();
    }
  }

  private static void migrate(String pgUrl, Duration timeout) {
    try {
      Migrations.migrate(pgUrl, (int) Math.max(1, timeout.toSeconds()));
    } catch (FlywayException e) {
      throw new StartupException("cannot migrate PostgreSQL at " + RollcallConfig.redactPassword(pgUrl) + ": "
          + rootMessage(e), e);
    }
  }

  private static void checkReachable(NodeContext node, String pgUrl, String redisUrl) {
    Duration timeout = node.config().startupCheckTimeout();
    try {
      await(node.pool().query("SELECT 1").execute().timeout(timeout.toMillis(), TimeUnit.MILLISECONDS), "checking PostgreSQL");
    } catch (StartupException e) {
      throw new StartupException("cannot reach PostgreSQL at " + RollcallConfig.redactPassword(pgUrl) + ": " + e.getMessage(), e);
    }
    try {
      await(RedisClients.ping(node.vertx(), node.redisApi(), timeout), "checking Redis");
    } catch (StartupException e) {
      throw new StartupException("cannot reach Redis at " + RollcallConfig.redactPassword(redisUrl) + ": " + e.getMessage(), e);
    }
  }

  private static List<Listener> listeners(RollcallConfig config, Mode mode) {
    String host = config.httpHost();
    if (mode == Mode.SERVE && config.agentPort().isPresent()) {
      return List.of(
          new Listener("agent", host, port(config.agentPort().get()), true, false, false),
          new Listener("admin", host, port(config.adminPort().orElseThrow()), false, true, true));
    }
    return List.of(new Listener("http", host, port(config.httpPort()), true, true, true));
  }

  /** Port 0 means "any": chosen here, so every HTTP verticle instance shares one known port. */
  private static int port(int configured) {
    return configured == 0 ? EmbeddedServers.freePort() : configured;
  }

  private static <T> T await(Future<T> future, String what) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(DEPLOY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new StartupException(what + " failed: " + rootMessage(e.getCause()), e.getCause());
    } catch (TimeoutException e) {
      throw new StartupException(what + " did not finish within " + DEPLOY_TIMEOUT.toSeconds() + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException(what + " was interrupted", e);
    }
  }

  private static void closeQuietly(Vertx vertx) {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("closing Vert.x did not finish cleanly: {}", e.toString());
    }
  }

  private static String generateAdminToken() {
    byte[] bytes = new byte[24];
    new java.security.SecureRandom().nextBytes(bytes);
    return "rc_admin_" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private static String nodeId() {
    try {
      return InetAddress.getLocalHost().getHostName() + "-" + UUID.randomUUID().toString().substring(0, 8);
    } catch (java.net.UnknownHostException e) {
      return "node-" + UUID.randomUUID().toString().substring(0, 8);
    }
  }

  static String version() {
    String v = Node.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
