package dev.rollcall.core.persistence;

import io.vertx.pgclient.PgConnectOptions;

/**
 * One PostgreSQL URL ({@code postgresql://user:password@host:port/database}) serves both the running
 * service (vertx-pg-client) and Flyway's migrations (JDBC), so an operator configures it once.
 */
public final class PgUrls {
  private PgUrls() {
  }

  public static PgConnectOptions connectOptions(String url) {
    try {
      return PgConnectOptions.fromUri(url);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a PostgreSQL URL (postgresql://user:password@host:port/database): "
          + dev.rollcall.core.config.RollcallConfig.redactPassword(url), e);
    }
  }

  /** The JDBC form of the same server, user and database. */
  public static Jdbc jdbc(String url, int connectTimeoutSeconds) {
    PgConnectOptions o = connectOptions(url);
    String jdbcUrl = "jdbc:postgresql://" + o.getHost() + ":" + o.getPort() + "/" + o.getDatabase()
        + "?connectTimeout=" + connectTimeoutSeconds + "&loginTimeout=" + connectTimeoutSeconds
        + "&ApplicationName=rollcall-migrations";
    return new Jdbc(jdbcUrl, o.getUser(), o.getPassword());
  }

  public record Jdbc(String url, String user, String password) {
  }
}
