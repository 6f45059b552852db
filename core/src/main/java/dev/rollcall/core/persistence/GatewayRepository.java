package dev.rollcall.core.persistence;

import dev.rollcall.core.http.ApiError;
import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Gateways in PostgreSQL. */
public final class GatewayRepository {
  private static final String COLUMNS = "id, name, base_url, template_version, version, created_at, updated_at";
  private static final String INSERT = "INSERT INTO gateways (id, name, base_url, template_version, created_at, updated_at) "
      + "VALUES ($1, $2, $3, $4, $5, $5) RETURNING " + COLUMNS;
  private static final String FIND_BY_ID = "SELECT " + COLUMNS + " FROM gateways WHERE id = $1";
  private static final String LIST = "SELECT " + COLUMNS + " FROM gateways WHERE $2::text IS NULL OR name > $2 ORDER BY name LIMIT $1";

  private final Pool pool;
  private final Clock clock;

  public GatewayRepository(Pool pool, Clock clock) {
    this.pool = pool;
    this.clock = clock;
  }

  /** Fails with 409 {@code gateway_name_taken} when the name is in use. */
  public Future<GatewayRecord> create(String name, String baseUrl, int templateVersion) {
    return pool.preparedQuery(INSERT)
        .execute(Tuple.of(UUID.randomUUID(), name, baseUrl, templateVersion, AgentRepository.utc(clock.instant())))
        .map(rows -> GatewayRecord.fromRow(rows.iterator().next()))
        .recover(e -> {
          if (e instanceof PgException pg && "23505".equals(pg.getSqlState())) {
            return Future.failedFuture(ApiError.conflict("gateway_name_taken", "a gateway named '" + name + "' exists", false).exception());
          }
          return Future.failedFuture(e);
        });
  }

  public Future<Optional<GatewayRecord>> find(UUID id) {
    return pool.preparedQuery(FIND_BY_ID).execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(GatewayRecord.fromRow(rows.iterator().next())));
  }

  public Future<List<GatewayRecord>> list(int limit) {
    return list(null, limit);
  }

  /** One page of gateways ordered by name, after the name {@code afterName} (null: the first page). */
  public Future<List<GatewayRecord>> list(String afterName, int limit) {
    return pool.preparedQuery(LIST).execute(Tuple.of(limit, afterName)).map(rows -> {
      List<GatewayRecord> all = new ArrayList<>(rows.size());
      for (Row row : rows) {
        all.add(GatewayRecord.fromRow(row));
      }
      return all;
    });
  }
}
