package dev.rollcall.core.persistence;

import dev.rollcall.core.metrics.Metrics;
import dev.rollcall.core.bus.AgentTransitioned;
import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.lifecycle.IllegalTransitionException;
import dev.rollcall.core.lifecycle.LifecycleEventNames;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTable;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.lifecycle.Transition;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agents and their lifecycle events in PostgreSQL. Every status change goes through
 * {@link #transition}: the {@link LifecycleTable} decides, then one transaction runs the conditional
 * {@code UPDATE ... WHERE id = $1 AND version = $2} and inserts the lifecycle event. A lost race writes
 * nothing and comes back as {@link TransitionResult.LostRace}.
 */
public final class AgentRepository {
  private static final Logger LOG = LoggerFactory.getLogger(AgentRepository.class);
  static final String METRIC_TRANSITIONS = "rollcall.lifecycle.transitions";

  private final Pool pool;
  private final Clock clock;
  private final MeterRegistry meters;
  private final Consumer<AgentTransitioned> onTransitioned;
  private final Timer wakeToReady;

  /**
   * @param onTransitioned called after a status change committed (the app publishes it on the bus);
   *     best-effort by design, nothing depends on it for correctness
   */
  public AgentRepository(Pool pool, Clock clock, MeterRegistry meters, Consumer<AgentTransitioned> onTransitioned) {
    this.pool = Objects.requireNonNull(pool);
    this.clock = Objects.requireNonNull(clock);
    this.meters = Objects.requireNonNull(meters);
    this.onTransitioned = Objects.requireNonNull(onTransitioned);
    this.wakeToReady = Timer.builder("rollcall.agent.wake_to_ready")
        .description("From the first wake of a check-in cycle to the agent becoming ready")
        .publishPercentileHistogram()
        .register(meters);
  }

  /**
   * Creates an agent in {@code provisioning} at epoch 1, with its {@code lifecycle.agent.created} event.
   * Fails with 404 {@code gateway_not_found} or 409 {@code agent_name_taken}.
   */
  public Future<AgentRecord> create(UUID gatewayId, String name, Integer templateVersion) {
    Instant now = clock.instant();
    UUID id = UUID.randomUUID();
    return pool.withTransaction(conn -> conn.preparedQuery(AgentSql.INSERT)
            .execute(Tuple.of(id, gatewayId, name, LifecycleStatus.PROVISIONING.wireName(), "created",
                utc(now), templateVersion))
            .map(rows -> AgentRecord.fromRow(rows.iterator().next()))
            .compose(agent -> insertEvent(conn, agent.id(), now, LifecycleEventNames.AGENT_CREATED, null,
                agent.status(), agent.version(), agent.provisionEpoch(), new JsonObject().put("name", name))
                .map(agent)))
        .recover(e -> Future.failedFuture(translate(e, gatewayId, name)));
  }

  public Future<Optional<AgentRecord>> find(UUID id) {
    return pool.preparedQuery(AgentSql.FIND_BY_ID).execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(AgentRecord.fromRow(rows.iterator().next())));
  }

  /** The agents of {@code ids} that exist, in no particular order (one query). */
  public Future<List<AgentRecord>> findAll(List<UUID> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return pool.preparedQuery(AgentSql.FIND_ALL).execute(Tuple.of(ids.toArray(new UUID[0])))
        .map(rows -> {
          List<AgentRecord> found = new ArrayList<>(rows.size());
          for (Row row : rows) {
            found.add(AgentRecord.fromRow(row));
          }
          return found;
        });
  }

  /** {@link #findAll}, keyed by id: what a {@link dev.rollcall.core.util.BatchedLookup} of agents loads. */
  public Future<Map<UUID, AgentRecord>> findAllById(List<UUID> ids) {
    return findAll(ids).map(records -> {
      Map<UUID, AgentRecord> found = new HashMap<>(records.size() * 2);
      for (AgentRecord r : records) {
        found.put(r.id(), r);
      }
      return found;
    });
  }

  /**
   * Writes {@code seenAt[i]} as the last_seen_at of {@code ids[i]}, one statement for all (the heartbeat's
   * batch). Rows another transaction holds are skipped, not waited for; an older time never replaces a
   * newer one. No version bump and no event: it is bookkeeping, and no writer loses a race to it.
   */
  public Future<Void> recordLastSeen(UUID[] ids, Instant[] seenAt) {
    OffsetDateTime[] ats = new OffsetDateTime[seenAt.length];
    for (int i = 0; i < ats.length; i++) {
      ats[i] = utc(seenAt[i]);
    }
    return pool.preparedQuery(AgentSql.RECORD_LAST_SEEN).execute(Tuple.tuple().addArrayOfUUID(ids).addArrayOfOffsetDateTime(ats))
        .mapEmpty();
  }

  /**
   * Applies {@code trigger} to the agent as the caller read it ({@code current}: its status and version
   * are the condition of the update).
   *
   * @param change columns to set together with the status (may be {@link AgentChange#none()})
   * @param detail the lifecycle event's detail; never put a secret in it
   */
  public Future<TransitionResult> transition(AgentRecord current, LifecycleTrigger trigger, AgentChange change,
                                             JsonObject detail) {
    // Illegal, or legal with nothing to write: answered without taking a connection.
    TransitionResult early = withoutWriting(current, trigger, change);
    if (early != null) {
      return Future.succeededFuture(afterCommit(trigger, early));
    }
    return inTransaction(tx -> tx.transition(current, trigger, change, detail));
  }

  /**
   * Runs {@code work} in one transaction whose transitions ({@link Tx#transition}) are counted, logged
   * and announced once it committed, and never when it rolled back: an announcement of a change that
   * did not happen would send the dashboard and other nodes a state the database does not have. The
   * after-commit effects run before the returned future completes, so a caller that reads the agent
   * next sees its own transition counted.
   */
  public <T> Future<T> inTransaction(java.util.function.Function<Tx, Future<T>> work) {
    // Filled and drained in the transaction's callbacks, which run one after the other: no locking.
    List<Runnable> onCommit = new ArrayList<>(1);
    return pool.withTransaction(conn -> work.apply(new Tx(conn, onCommit)))
        .andThen(done -> {
          if (done.succeeded()) {
            onCommit.forEach(Runnable::run);
          }
        });
  }

  /** A transaction opened by {@link #inTransaction}: its connection, and transitions inside it. */
  public final class Tx {
    private final SqlConnection conn;
    private final List<Runnable> onCommit;

    private Tx(SqlConnection conn, List<Runnable> onCommit) {
      this.conn = conn;
      this.onCommit = onCommit;
    }

    /** The transaction's connection, for the other statements of the same unit of work. */
    public SqlConnection connection() {
      return conn;
    }

    /**
     * The decision and conditional update of {@link AgentRepository#transition}, inside this
     * transaction (for example: consume a ticket, mint a credential and register the agent, all or
     * nothing). The result is counted, logged and announced when the transaction commits.
     */
    public Future<TransitionResult> transition(AgentRecord current, LifecycleTrigger trigger, AgentChange change,
                                               JsonObject detail) {
      return transitionIn(conn, current, trigger, change, detail)
          .andThen(done -> {
            if (done.succeeded()) {
              onCommit.add(() -> afterCommit(trigger, done.result()));
            }
          });
    }
  }

  private Future<TransitionResult> transitionIn(SqlConnection conn, AgentRecord current, LifecycleTrigger trigger,
                                                AgentChange requested, JsonObject detail) {
    AgentChange change = requested.copy();
    TransitionResult early = withoutWriting(current, trigger, change);
    if (early != null) {
      return Future.succeededFuture(early);
    }
    Transition transition = LifecycleTable.decide(current.status(), trigger);
    Instant now = clock.instant();
    Duration wokeToReady = null;
    if (transition.changesStatus() && transition.to() == LifecycleStatus.READY && current.wokenAt() != null
        && !change.setsWokenAt()) {
      // The check-in cycle that began with a wake is over: timed once the transaction committed (afterCommit).
      change.wokenAt(null);
      wokeToReady = Duration.between(current.wokenAt(), now);
    }
    if (transition.changesStatus() && transition.to() == LifecycleStatus.OFFLINE) {
      // Whoever puts an agent offline says whether the reconciler brings it back; silence means it does not.
      if (!change.setsRecoveryAt()) {
        change.recoveryAt(null);
      }
      if (!change.setsWokenAt()) {
        change.wokenAt(null); // the check-in cycle ended without a check-in: nothing to time
      }
    }
    Duration wakeToReadyOfThis = wokeToReady;
    boolean setReason = transition.changesStatus() && !change.setsStatusReason();
    AgentChange.Sql extra = change.toSql(setReason ? 7 : 6);
    List<Object> params = new ArrayList<>(List.of(current.id(), current.version(), current.status().wireName(),
        transition.to().wireName(), utc(now)));
    if (setReason) {
      params.add(transition.reason());
    }
    params.addAll(extra.params());
    String sql = AgentSql.conditionalUpdate(String.join(", ", extra.fragments()), setReason);
    JsonObject eventDetail = (detail == null ? new JsonObject() : detail.copy()).put("reason", transition.reason());

    return conn.preparedQuery(sql).execute(Tuple.from(params))
        .compose(rows -> {
          if (rows.size() == 0) {
            return conn.preparedQuery(AgentSql.CURRENT_VERSION).execute(Tuple.of(current.id()))
                .map(found -> found.size() == 0
                    ? (TransitionResult) new TransitionResult.NotFound(current.id())
                    : new TransitionResult.LostRace(current.id(), current.version(), found.iterator().next().getLong(0)));
          }
          AgentRecord after = AgentRecord.fromRow(rows.iterator().next());
          if (!transition.changesStatus() && change.onlyLastSeen()) {
            // A coalesced last_seen_at (once a minute per steady agent) is bookkeeping, not a change of
            // state: an event for it would bury the agent's history (and cost an INSERT per agent-minute).
            return Future.succeededFuture((TransitionResult) new TransitionResult.Applied(after, transition, wakeToReadyOfThis));
          }
          return insertEvent(conn, after.id(), now, trigger.eventName(), current.status(), after.status(),
              after.version(), after.provisionEpoch(), eventDetail)
              .map(id -> (TransitionResult) new TransitionResult.Applied(after, transition, wakeToReadyOfThis));
        });
  }

  /** The result when nothing is to be written (illegal, or a stay without changes); null otherwise. */
  private static TransitionResult withoutWriting(AgentRecord current, LifecycleTrigger trigger, AgentChange change) {
    try {
      Transition transition = LifecycleTable.decide(current.status(), trigger);
      return !transition.changesStatus() && change.isEmpty() ? new TransitionResult.Unchanged(current, transition) : null;
    } catch (IllegalTransitionException e) {
      return new TransitionResult.Illegal(current, e);
    }
  }

  /** Counts, logs and announces a committed result of {@link #transitionIn}; returns it unchanged. */
  private TransitionResult afterCommit(LifecycleTrigger trigger, TransitionResult result) {
    if (result instanceof TransitionResult.Applied applied) {
      announce(applied);
      if (applied.wakeToReady() != null) {
        wakeToReady.record(applied.wakeToReady());
      }
    }
    Metrics.count(meters, METRIC_TRANSITIONS, "Lifecycle transition requests by trigger and outcome",
        "trigger", trigger.eventName(), "outcome", result.outcome());
    return result;
  }

  /**
   * One page of agents ordered by id, optionally of one status and one gateway, after {@code afterId}
   * (null for the first page).
   */
  public Future<List<AgentRecord>> list(LifecycleStatus status, UUID gatewayId, UUID afterId, int limit) {
    return pool.preparedQuery(AgentSql.LIST)
        .execute(Tuple.of(status == null ? null : status.wireName(), gatewayId, afterId == null ? new UUID(0, 0) : afterId, limit))
        .map(rows -> {
          List<AgentRecord> page = new ArrayList<>(rows.size());
          for (Row row : rows) {
            page.add(AgentRecord.fromRow(row));
          }
          return page;
        });
  }

  /** Agents per gateway and lifecycle status, every gateway included (the dashboard's overview). */
  public Future<JsonObject> countsByGateway() {
    return pool.query("SELECT g.id, g.name, a.lifecycle_status, count(a.id) FROM gateways g "
            + "LEFT JOIN agents a ON a.gateway_id = g.id GROUP BY g.id, g.name, a.lifecycle_status ORDER BY g.name")
        .execute()
        .map(rows -> {
          java.util.Map<UUID, JsonObject> gateways = new java.util.LinkedHashMap<>();
          for (Row row : rows) {
            JsonObject g = gateways.computeIfAbsent(row.getUUID(0), id -> new JsonObject().put("gatewayId", id.toString())
                .put("name", row.getString(1)).put("counts", new JsonObject()));
            if (row.getString(2) != null) {
              g.getJsonObject("counts").put(row.getString(2), row.getLong(3));
            }
          }
          return new JsonObject().put("gateways", new io.vertx.core.json.JsonArray(new ArrayList<>(gateways.values())));
        });
  }

  /**
   * Notes a failure on the agent ({@code last_provision_error}) with its event, without moving it, if it
   * is still at {@code provisionEpoch}: the outcome of a superseded attempt is dropped (empty result).
   * For failures that are not a status change (a wake the gateway refused, a deprovision that failed).
   */
  public Future<Optional<AgentRecord>> noteError(UUID agentId, long provisionEpoch, String eventName, String error,
                                                 JsonObject detail) {
    Instant now = clock.instant();
    return pool.withTransaction(conn -> conn.preparedQuery(AgentSql.NOTE_ERROR)
        .execute(Tuple.of(agentId, provisionEpoch, error, utc(now)))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture(Optional.<AgentRecord>empty());
          }
          AgentRecord after = AgentRecord.fromRow(rows.iterator().next());
          JsonObject eventDetail = (detail == null ? new JsonObject() : detail.copy()).put("error", error);
          return insertEvent(conn, agentId, now, eventName, null, null, after.version(), provisionEpoch, eventDetail)
              .map(id -> Optional.of(after));
        }));
  }

  /**
   * The gateway's longest-ready agent, locked until the caller's transaction ends; agents locked by
   * another transaction are skipped, so concurrent dispatchers never pick the same one.
   */
  public Future<Optional<AgentRecord>> findReadyForUpdate(SqlConnection conn, UUID gatewayId) {
    return conn.preparedQuery(AgentSql.READY_OF_GATEWAY_FOR_UPDATE).execute(Tuple.of(gatewayId))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(AgentRecord.fromRow(rows.iterator().next())));
  }

  /** Reads the agent and locks its row until the caller's transaction ends. */
  public Future<Optional<AgentRecord>> findForUpdate(SqlConnection conn, UUID id) {
    return conn.preparedQuery(AgentSql.FIND_FOR_UPDATE).execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(AgentRecord.fromRow(rows.iterator().next())));
  }

  /**
   * Flags the agent for re-provisioning with a fresh ticket (it has no live credential), with its
   * event, inside the caller's transaction. A conditional update like any other: it bumps the version.
   * Returns false when the agent was already flagged or changed under the caller (it re-reads then).
   */
  public Future<Boolean> flagRebootstrapIn(SqlConnection conn, AgentRecord agent, JsonObject detail) {
    if (agent.needsRebootstrap()) {
      return Future.succeededFuture(false);
    }
    Instant now = clock.instant();
    return conn.preparedQuery(AgentSql.FLAG_REBOOTSTRAP).execute(Tuple.of(agent.id(), agent.version(), utc(now)))
        .compose(rows -> rows.size() == 0
            ? Future.succeededFuture(false)
            : insertEvent(conn, agent.id(), now, LifecycleEventNames.CREDENTIAL_REBOOTSTRAP_REQUIRED, null, null,
                agent.version() + 1, agent.provisionEpoch(), detail == null ? new JsonObject() : detail).map(true));
  }

  /** Inserts an observation event inside the caller's transaction. */
  public Future<Long> recordEventIn(SqlConnection conn, AgentRecord agent, String name, JsonObject detail) {
    return insertEvent(conn, agent.id(), clock.instant(), name, null, null, agent.version(), agent.provisionEpoch(),
        detail == null ? new JsonObject() : detail);
  }

  /**
   * Records what the control plane did or decided without moving the agent (seed 01's
   * {@code lifecycle.reconcile.deferred}, {@code lifecycle.queue.enqueued}, ...).
   */
  public Future<Long> recordEvent(AgentRecord agent, String name, JsonObject detail) {
    return insertEvent(pool, agent.id(), clock.instant(), name, null, null, agent.version(), agent.provisionEpoch(),
        detail == null ? new JsonObject() : detail)
        .recover(e -> Future.failedFuture(translate(e, agent.gatewayId(), agent.name())));
  }

  /** Records an observation event for an agent known only by id. */
  public Future<Long> recordEvent(UUID agentId, String name, JsonObject detail) {
    return pool.preparedQuery(AgentSql.INSERT_EVENT).execute(Tuple.from(java.util.Arrays.asList(agentId, utc(clock.instant()),
        name, null, null, null, null, detail == null ? new JsonObject() : detail))).map(AgentRepository::firstLong);
  }

  /** The newest {@code limit} events of one agent, oldest first among them (a flapping agent's recent history). */
  public Future<List<LifecycleEventRecord>> latestEvents(UUID agentId, int limit) {
    return pool.preparedQuery(AgentSql.LATEST_EVENTS).execute(Tuple.of(agentId, limit))
        .map(rows -> {
          List<LifecycleEventRecord> events = new ArrayList<>(rows.size());
          for (Row row : rows) {
            events.add(LifecycleEventRecord.fromRow(row));
          }
          java.util.Collections.reverse(events); // read newest first, answered oldest first
          return events;
        });
  }

  /** Events of one agent, oldest first, after event id {@code afterId}. */
  public Future<List<LifecycleEventRecord>> events(UUID agentId, long afterId, int limit) {
    return pool.preparedQuery(AgentSql.EVENTS).execute(Tuple.of(agentId, afterId, limit))
        .map(rows -> {
          List<LifecycleEventRecord> events = new ArrayList<>(rows.size());
          for (Row row : rows) {
            events.add(LifecycleEventRecord.fromRow(row));
          }
          return events;
        });
  }

  private void announce(TransitionResult.Applied applied) {
    AgentRecord after = applied.agent();
    Transition transition = applied.transition();
    // Status changes at INFO; writes that keep the status (a coalesced last_seen_at, a flag) at DEBUG,
    // or a steady fleet would log a line per agent per minute.
    (transition.changesStatus() ? LOG.atInfo() : LOG.atDebug())
        .addKeyValue("agent_id", after.id())
        .addKeyValue("event", transition.trigger().eventName())
        .addKeyValue("from", applied.transition().from().wireName())
        .addKeyValue("to", after.status().wireName())
        .addKeyValue("version", after.version())
        .addKeyValue("epoch", after.provisionEpoch())
        .log("lifecycle transition");
    if (transition.changesStatus()) {
      try {
        onTransitioned.accept(new AgentTransitioned(after.id(), after.gatewayId(), applied.transition().from(), after.status(),
            transition.trigger().eventName(), after.version(), after.provisionEpoch()));
      } catch (RuntimeException e) {
        // The notification is a hint; the committed row is the record. Never fail the caller for it.
        LOG.atWarn().setCause(e).addKeyValue("agent_id", after.id()).log("transition notification failed");
      }
    }
  }

  private static Future<Long> insertEvent(SqlClient client, UUID agentId, Instant at, String name,
                                          LifecycleStatus from, LifecycleStatus to, long version, long epoch,
                                          JsonObject detail) {
    return client.preparedQuery(AgentSql.INSERT_EVENT)
        .execute(Tuple.from(java.util.Arrays.asList(agentId, utc(at), name,
            from == null ? null : from.wireName(), to == null ? null : to.wireName(), version, epoch, detail)))
        .map(AgentRepository::firstLong);
  }

  private static Long firstLong(RowSet<Row> rows) {
    return rows.iterator().next().getLong(0);
  }

  private static Throwable translate(Throwable e, UUID gatewayId, String name) {
    if (e instanceof PgException pg) {
      switch (pg.getSqlState()) {
        case "23503":
          return ApiError.notFound("gateway_not_found", "gateway " + gatewayId + " does not exist").exception();
        case "23505":
          return ApiError.conflict("agent_name_taken", "gateway " + gatewayId + " already has an agent named '" + name + "'", false).exception();
        default:
          break;
      }
    }
    return e;
  }

  public static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }
}
