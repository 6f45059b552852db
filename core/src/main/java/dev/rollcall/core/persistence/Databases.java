package dev.rollcall.core.persistence;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/** The shared vertx-pg-client pool of a node. */
public final class Databases {
  private Databases() {
  }

  public static Pool pool(Vertx vertx, String pgUrl, int size) {
    PgConnectOptions connect = PgUrls.connectOptions(pgUrl)
        .setCachePreparedStatements(true);
    PoolOptions pool = new PoolOptions()
        .setMaxSize(size)
        .setName("rollcall-pg")
        .setShared(true)
        // A caller waits at most this long for a connection, then fails instead of queueing forever.
        .setConnectionTimeout(5)
        .setConnectionTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS);
    return PgBuilder.pool().with(pool).connectingTo(connect).using(vertx).build();
  }
}
