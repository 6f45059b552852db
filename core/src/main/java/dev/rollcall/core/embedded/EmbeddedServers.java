package dev.rollcall.core.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

/**
 * Embedded PostgreSQL (zonky, PostgreSQL 14) and Redis (6.2) for {@code rollcall dev} and for tests on
 * machines without Docker. Each starts on a free port chosen at run time, keeps its data in a temporary
 * directory and discards it on {@link #close}. Blocking: start-up code only.
 */
public final class EmbeddedServers implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedServers.class);

  private final EmbeddedPostgres postgres;
  private final RedisServer redis;
  private final String pgUrl;
  private final String redisUrl;

  private EmbeddedServers(EmbeddedPostgres postgres, String pgUrl, RedisServer redis, String redisUrl) {
    this.postgres = postgres;
    this.pgUrl = pgUrl;
    this.redis = redis;
    this.redisUrl = redisUrl;
  }

  /** Starts whichever of the two is asked for. */
  public static EmbeddedServers start(boolean withPostgres, boolean withRedis) {
    EmbeddedPostgres pg = null;
    String pgUrl = null;
    RedisServer redis = null;
    String redisUrl = null;
    try {
      if (withPostgres) {
        pg = EmbeddedPostgres.builder()
            .setPGStartupWait(Duration.ofSeconds(60))
            .setServerConfig("max_connections", "200")
            .setServerConfig("fsync", "off")
            .start();
        pgUrl = "postgresql://postgres:postgres@127.0.0.1:" + pg.getPort() + "/postgres";
        LOG.atInfo().addKeyValue("event", "embedded.postgres.started").addKeyValue("port", pg.getPort())
            .log("embedded PostgreSQL started (data is discarded on exit)");
      }
      if (withRedis) {
        int port = freePort();
        redis = RedisServer.newRedisServer()
            .port(port)
            .bind("127.0.0.1")
            .setting("save \"\"")
            .setting("appendonly no")
            .onShutdownForceStop(true)
            .build();
        redis.start();
        redisUrl = "redis://127.0.0.1:" + port;
        LOG.atInfo().addKeyValue("event", "embedded.redis.started").addKeyValue("port", port)
            .log("embedded Redis started (data is discarded on exit)");
      }
      return new EmbeddedServers(pg, pgUrl, redis, redisUrl);
    } catch (IOException e) {
      closeQuietly(pg, redis);
      throw new UncheckedIOException("could not start the embedded servers: " + e.getMessage(), e);
    }
  }

  /** {@code postgresql://...} of the embedded server, or null if it was not started. */
  public String pgUrl() {
    return pgUrl;
  }

  /** {@code redis://...} of the embedded server, or null if it was not started. */
  public String redisUrl() {
    return redisUrl;
  }

  @Override
  public void close() {
    closeQuietly(postgres, redis);
  }

  private static void closeQuietly(EmbeddedPostgres pg, RedisServer redis) {
    if (redis != null) {
      try {
        redis.stop();
      } catch (IOException | RuntimeException e) {
        LOG.warn("stopping embedded Redis failed: {}", e.getMessage());
      }
    }
    if (pg != null) {
      try {
        pg.close();
      } catch (IOException | RuntimeException e) {
        LOG.warn("stopping embedded PostgreSQL failed: {}", e.getMessage());
      }
    }
  }

  /** A port free on the loopback interface right now. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
