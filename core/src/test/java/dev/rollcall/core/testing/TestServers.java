package dev.rollcall.core.testing;

import dev.rollcall.core.embedded.EmbeddedServers;
import dev.rollcall.core.persistence.Migrations;
import dev.rollcall.core.persistence.PgUrls;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One real PostgreSQL and one real Redis per test JVM, started on first use and stopped when the JVM
 * exits. Where they come from, in order: {@code ROLLCALL_TEST_PG_URL} / {@code ROLLCALL_TEST_REDIS_URL}
 * when set; Testcontainers when a Docker engine answers; embedded servers otherwise (these machines have
 * no Docker engine). Tests isolate themselves with {@link #reset()} (truncate every table, flush Redis),
 * which {@link RealServersExtension} runs before each test.
 */
public final class TestServers {
  private static final Logger LOG = LoggerFactory.getLogger(TestServers.class);
  private static TestServers instance;

  private final String pgUrl;
  private final String redisUrl;
  private final String source;

  private TestServers(String pgUrl, String redisUrl, String source) {
    this.pgUrl = pgUrl;
    this.redisUrl = redisUrl;
    this.source = source;
  }

  public static synchronized TestServers get() {
    if (instance == null) {
      instance = start();
      Migrations.migrate(instance.pgUrl, 10);
      LOG.info("test servers ready from {}: PostgreSQL {} / Redis {}", instance.source, instance.pgUrl, instance.redisUrl);
    }
    return instance;
  }

  public String pgUrl() {
    return pgUrl;
  }

  public String redisUrl() {
    return redisUrl;
  }

  /** Empties every table but the migration history, and the Redis database. Blocking: test thread only. */
  public void reset() {
    truncateAll();
    flushRedis();
  }

  /** Runs one SQL statement over JDBC and returns the first column of each row (for assertions). */
  public List<String> query(String sql) {
    try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      List<String> out = new ArrayList<>();
      while (rs.next()) {
        out.add(rs.getString(1));
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private void truncateAll() {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = st.executeQuery(
          "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'flyway_schema_history'")) {
        while (rs.next()) {
          tables.add('"' + rs.getString(1) + '"');
        }
      }
      if (!tables.isEmpty()) {
        st.execute("TRUNCATE " + String.join(", ", tables) + " RESTART IDENTITY CASCADE");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not reset the test database", e);
    }
  }

  private Connection connect() throws SQLException {
    PgUrls.Jdbc jdbc = PgUrls.jdbc(pgUrl, 10);
    return DriverManager.getConnection(jdbc.url(), jdbc.user(), jdbc.password());
  }

  private void flushRedis() {
    URI uri = URI.create(redisUrl);
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write("*1\r\n$7\r\nFLUSHDB\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String reply = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
      if (!"+OK".equals(reply)) {
        throw new IllegalStateException("FLUSHDB answered " + reply);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not flush the test Redis", e);
    }
  }

  private static TestServers start() {
    String pg = System.getenv("ROLLCALL_TEST_PG_URL");
    String redis = System.getenv("ROLLCALL_TEST_REDIS_URL");
    if (pg != null && !pg.isBlank() && redis != null && !redis.isBlank()) {
      return new TestServers(pg, redis, "environment");
    }
    if (!"false".equals(System.getProperty("rollcall.testcontainers")) && Containers.dockerAvailable()) {
      String[] urls = Containers.start();
      return new TestServers(urls[0], urls[1], "testcontainers");
    }
    EmbeddedServers embedded = EmbeddedServers.start(true, true);
    Runtime.getRuntime().addShutdownHook(new Thread(embedded::close, "embedded-servers-stop"));
    return new TestServers(embedded.pgUrl(), embedded.redisUrl(), "embedded servers");
  }
}
