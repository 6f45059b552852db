package dev.rollcall.core.persistence;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the schema to the version this build expects, from {@code classpath:db/migration}. Blocking
 * (JDBC): call it from start-up code before any verticle is deployed, never on an event loop.
 */
public final class Migrations {
  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

  private Migrations() {
  }

  public static MigrateResult migrate(String pgUrl, int connectTimeoutSeconds) {
    PgUrls.Jdbc jdbc = PgUrls.jdbc(pgUrl, connectTimeoutSeconds);
    Flyway flyway = Flyway.configure()
        .dataSource(jdbc.url(), jdbc.user(), jdbc.password())
        .locations("classpath:db/migration")
        .connectRetries(0)
        .load();
    MigrateResult result = flyway.migrate();
    LOG.atInfo()
        .addKeyValue("event", "db.migrated")
        .addKeyValue("applied", result.migrationsExecuted)
        .addKeyValue("schema_version", result.targetSchemaVersion == null ? "unchanged" : result.targetSchemaVersion)
        .log("database schema is current");
    return result;
  }
}
