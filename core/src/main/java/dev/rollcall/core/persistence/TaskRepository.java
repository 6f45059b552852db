package dev.rollcall.core.persistence;

import static dev.rollcall.core.persistence.AgentRepository.utc;

import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Tasks and the dispatch outbox. Every change of a task is a conditional UPDATE (on its state and
 * attempt) with its {@code task_events} row in the same transaction, and, when the agent moves too
 * (busy on dispatch, ready on ack or rollback), with the agent's lifecycle transition in that same
 * transaction. A report or outcome for an attempt that is no longer live writes nothing.
 *
 * <p>Which state a change applies to, where it leads and the event it records come from
 * {@link TaskTrigger}, the task lifecycle's table: the state conditions below are generated from it.
 */
public final class TaskRepository {
  private static final String INSERT = "INSERT INTO tasks (id, gateway_id, requested_agent_id, state, max_attempts, "
      + "not_before, payload, created_at, updated_at) VALUES ($1, $2, $3, " + TaskTrigger.CREATED.toSql() + ", $4, $5, $6, $5, $5) RETURNING "
      + TaskRecord.COLUMNS;
  private static final String FIND = "SELECT " + TaskRecord.COLUMNS + " FROM tasks WHERE id = $1";
  /** Due, waiting for an agent: the tasks a dispatch may take. */
  private static final String LOCK_QUEUED = "SELECT " + TaskRecord.COLUMNS + " FROM tasks WHERE id = $1 AND "
      + TaskTrigger.DISPATCHED.whereFrom() + " AND not_before <= $2 FOR UPDATE SKIP LOCKED";
  private static final String LOCK = "SELECT " + TaskRecord.COLUMNS + " FROM tasks WHERE id = $1 FOR UPDATE";
  private static final String DUE = "SELECT id, gateway_id FROM tasks WHERE " + TaskTrigger.DISPATCHED.whereFrom()
      + " AND not_before <= $1 AND NOT (gateway_id = ANY($3::uuid[])) ORDER BY not_before LIMIT $2";
  /** No agent could take the task: it steps back in the queue (no state change, no event). */
  private static final String WAIT_FOR_AGENT = "UPDATE tasks SET not_before = $2 WHERE id = $1 AND " + TaskTrigger.DISPATCHED.whereFrom();
  /** Live tasks of an agent (after the calling one was settled, in the same transaction). */
  private static final String HAS_LIVE_TASK = "SELECT 1 FROM tasks WHERE agent_id = $1 AND " + TaskTrigger.whereLive("state") + " LIMIT 1";
  private static final Duration NO_AGENT_WAIT = Duration.ofSeconds(1);
  private static final String MARK_DISPATCHED = "UPDATE tasks SET state = " + TaskTrigger.DISPATCHED.toSql()
      + ", attempt = attempt + 1, agent_id = $2, updated_at = $3, version = version + 1 WHERE id = $1 AND "
      + TaskTrigger.DISPATCHED.whereFrom() + " RETURNING " + TaskRecord.COLUMNS;
  private static final String INSERT_OUTBOX = "INSERT INTO dispatch_outbox (task_id, attempt, agent_id, provision_epoch, created_at) "
      + "VALUES ($1, $2, $3, $4, $5)";
  /** Claims outbox rows matching {@code %s} (a condition on dispatch_outbox; $1 = now), with what a start needs. */
  private static final String CLAIM = "UPDATE dispatch_outbox o SET claimed_until = $2 FROM tasks t, gateways g "
      + "WHERE o.task_id IN (SELECT task_id FROM dispatch_outbox WHERE %s "
      + "AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED) "
      + "AND t.id = o.task_id AND g.id = t.gateway_id "
      + "RETURNING o.task_id, o.attempt, o.agent_id, o.provision_epoch, t.gateway_id, g.base_url, t.payload";
  private static final String CLAIM_STARTS = String.format(CLAIM, "confirm_until IS NULL");
  private static final String CLAIM_UNCONFIRMED = String.format(CLAIM, "confirm_until < $1");
  private static final String AWAIT_CONFIRMATION = "UPDATE dispatch_outbox SET confirm_until = $3, claimed_until = NULL "
      + "WHERE task_id = $1 AND attempt = $2";
  private static final String DELETE_OUTBOX = "DELETE FROM dispatch_outbox WHERE task_id = $1 AND attempt = $2";
  /** A report or the gateway's acceptance: $3 is {@link TaskTrigger#START_ACCEPTED}'s or {@link TaskTrigger#ACKNOWLEDGED}'s target. */
  private static final String SETTLE = "UPDATE tasks SET state = $3, updated_at = $4, version = version + 1, "
      + "delivered_at = CASE WHEN $3 IN ('delivered', 'processed') THEN COALESCE(delivered_at, $4) ELSE delivered_at END, "
      + "processed_at = CASE WHEN $3 = 'processed' THEN $4 ELSE processed_at END, "
      + "result = COALESCE($5, result), last_error = COALESCE($6, last_error), not_before = COALESCE($7, not_before) "
      + "WHERE id = $1 AND attempt = $2 AND " + TaskTrigger.whereFrom(TaskTrigger.START_ACCEPTED, TaskTrigger.ACKNOWLEDGED)
      + " RETURNING " + TaskRecord.COLUMNS;
  private static final String INSERT_EVENT = "INSERT INTO task_events (task_id, at, name, attempt, agent_id, detail) "
      + "VALUES ($1, $2, $3, $4, $5, $6)";
  private static final String EVENTS = "SELECT at, name, attempt, agent_id, detail FROM task_events WHERE task_id = $1 ORDER BY id";

  private final Pool pool;
  private final Clock clock;
  private final AgentRepository agents;

  public TaskRepository(Pool pool, Clock clock, AgentRepository agents) {
    this.pool = pool;
    this.clock = clock;
    this.agents = agents;
  }

  /** An outbox row to carry out: the gateway's task start for one attempt. */
  public record Start(UUID taskId, int attempt, UUID agentId, long provisionEpoch, UUID gatewayId, String baseUrl, JsonObject payload) {
  }

  /** A queued task that may be dispatched now. */
  public record Due(UUID taskId, UUID gatewayId) {
  }

  public Future<TaskRecord> create(UUID gatewayId, UUID requestedAgentId, JsonObject payload, int maxAttempts) {
    Instant now = clock.instant();
    return pool.withTransaction(conn -> conn.preparedQuery(INSERT)
            .execute(Tuple.of(UUID.randomUUID(), gatewayId, requestedAgentId, maxAttempts, utc(now), payload))
            .map(rows -> TaskRecord.fromRow(rows.iterator().next()))
            .compose(task -> insertEvent(conn, task.id(), TaskTrigger.CREATED.eventName(), null, null, new JsonObject()).map(task)))
        .recover(e -> e instanceof PgException pg && "23503".equals(pg.getSqlState())
            ? Future.failedFuture(ApiError.notFound("gateway_not_found", "gateway " + gatewayId + " does not exist").exception())
            : Future.failedFuture(e));
  }

  public Future<Optional<TaskRecord>> find(UUID id) {
    return pool.preparedQuery(FIND).execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(TaskRecord.fromRow(rows.iterator().next())));
  }

  /** The newest tasks, optionally of one agent (the one it was dispatched to or asked for), newest first. */
  public Future<List<TaskRecord>> list(UUID agentId, int limit) {
    return pool.preparedQuery("SELECT " + TaskRecord.COLUMNS + " FROM tasks WHERE ($1::uuid IS NULL OR agent_id = $1 "
            + "OR requested_agent_id = $1) ORDER BY created_at DESC LIMIT $2")
        .execute(Tuple.of(agentId, limit))
        .map(rows -> {
          List<TaskRecord> page = new ArrayList<>(rows.size());
          for (Row row : rows) {
            page.add(TaskRecord.fromRow(row));
          }
          return page;
        });
  }

  public Future<JsonArray> events(UUID taskId) {
    return pool.preparedQuery(EVENTS).execute(Tuple.of(taskId)).map(rows -> {
      JsonArray events = new JsonArray();
      for (Row row : rows) {
        events.add(new JsonObject().put("at", row.getOffsetDateTime("at").toInstant().toString()).put("name", row.getString("name"))
            .put("attempt", row.getInteger("attempt"))
            .put("agentId", row.getUUID("agent_id") == null ? null : row.getUUID("agent_id").toString())
            .put("detail", row.getValue("detail")));
      }
      return events;
    });
  }

  /** Due queued tasks, oldest first, leaving out the gateways given (their breakers are open). */
  public Future<List<Due>> due(int limit, java.util.Collection<UUID> excludedGateways) {
    return pool.preparedQuery(DUE).execute(Tuple.of(utc(clock.instant()), limit, excludedGateways.toArray(new UUID[0]))).map(rows -> {
      List<Due> due = new ArrayList<>(rows.size());
      for (Row row : rows) {
        due.add(new Due(row.getUUID("id"), row.getUUID("gateway_id")));
      }
      return due;
    });
  }

  /**
   * Dispatches a queued task if an agent can take it: the agent turns busy, the task dispatched (the
   * next attempt) and an outbox row is written, in one transaction. Empty when the task is not due,
   * another dispatcher holds it, or no agent is ready.
   */
  public Future<Optional<Start>> dispatch(UUID taskId) {
    Instant now = clock.instant();
    return inTransaction((tx, conn) -> conn.preparedQuery(LOCK_QUEUED).execute(Tuple.of(taskId, utc(now))).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(Optional.<Start>empty());
      }
      TaskRecord task = TaskRecord.fromRow(rows.iterator().next());
      Future<Optional<AgentRecord>> pick = task.requestedAgentId() != null
          ? agents.findForUpdate(conn, task.requestedAgentId())
          : agents.findReadyForUpdate(conn, task.gatewayId());
      return pick.compose(found -> {
        AgentRecord agent = found.orElse(null);
        if (agent != null && agent.status() == LifecycleStatus.DELETED) {
          return fail(conn, task, "the requested agent was deleted").map(x -> Optional.<Start>empty());
        }
        if (agent == null || agent.status() != LifecycleStatus.READY) {
          // Nobody to take it now: step back behind the other due tasks, so that a gateway (or an
          // agent) with no one ready does not hold the head of the queue and starve the rest.
          return conn.preparedQuery(WAIT_FOR_AGENT).execute(Tuple.of(task.id(), utc(now.plus(NO_AGENT_WAIT))))
              .map(r -> Optional.<Start>empty());
        }
        return conn.preparedQuery(HAS_LIVE_TASK).execute(Tuple.of(agent.id())).compose(live -> live.size() > 0
            ? conn.preparedQuery(WAIT_FOR_AGENT).execute(Tuple.of(task.id(), utc(now.plus(NO_AGENT_WAIT)))).map(r -> Optional.<Start>empty())
            : dispatchTo(tx, task, agent, now));
      });
    }));
  }

  private Future<Optional<Start>> dispatchTo(AgentRepository.Tx tx, TaskRecord task, AgentRecord agent, Instant now) {
        SqlConnection conn = tx.connection();
        int attempt = task.attempt() + 1;
        return tx.transition(agent, LifecycleTrigger.TASK_DISPATCHED, AgentChange.none(),
                new JsonObject().put("taskId", task.id().toString()).put("attempt", attempt))
            .compose(result -> {
              if (!(result instanceof TransitionResult.Applied)) {
                return Future.succeededFuture(Optional.<Start>empty());
              }
              return conn.preparedQuery(MARK_DISPATCHED).execute(Tuple.of(task.id(), agent.id(), utc(now)))
                  .compose(r -> conn.preparedQuery(INSERT_OUTBOX).execute(Tuple.of(task.id(), attempt, agent.id(),
                      agent.provisionEpoch(), utc(now))))
                  .compose(r -> insertEvent(conn, task.id(), TaskTrigger.DISPATCHED.eventName(), attempt, agent.id(), new JsonObject()))
                  .map(r -> Optional.of(new Start(task.id(), attempt, agent.id(), agent.provisionEpoch(), task.gatewayId(), null,
                      task.payload())));
            });
  }

  /** Claims outbox rows to carry out (unclaimed, or claimed by a dispatcher whose claim lapsed). */
  public Future<List<Start>> claimStarts(Duration claimFor, int limit) {
    return claim(CLAIM_STARTS, claimFor, limit);
  }

  /** Claims starts whose confirmation window passed without a report from their attempt. */
  public Future<List<Start>> claimUnconfirmed(Duration claimFor, int limit) {
    return claim(CLAIM_UNCONFIRMED, claimFor, limit);
  }

  private Future<List<Start>> claim(String sql, Duration claimFor, int limit) {
    Instant now = clock.instant();
    return pool.preparedQuery(sql).execute(Tuple.of(utc(now), utc(now.plus(claimFor)), limit)).map(rows -> {
      List<Start> starts = new ArrayList<>(rows.size());
      for (Row row : rows) {
        starts.add(new Start(row.getUUID("task_id"), row.getInteger("attempt"), row.getUUID("agent_id"), row.getLong("provision_epoch"),
            row.getUUID("gateway_id"), row.getString("base_url"), (JsonObject) row.getValue("payload")));
      }
      return starts;
    });
  }

  /** The start timed out: a report from this attempt before {@code until} settles it; else it is rolled back. */
  public Future<Void> awaitConfirmation(Start start, Instant until, String reason) {
    return pool.withTransaction(conn -> conn.preparedQuery(AWAIT_CONFIRMATION)
        .execute(Tuple.of(start.taskId(), start.attempt(), utc(until)))
        .compose(rows -> rows.rowCount() == 0 ? Future.succeededFuture()
            : insertEvent(conn, start.taskId(), TaskTrigger.START_UNCONFIRMED.eventName(), start.attempt(), start.agentId(),
                new JsonObject().put("reason", reason).put("confirmUntil", until.toString()))));
  }

  /** The gateway accepted the start: delivered (not processed: that takes the agent's ack). */
  public Future<Optional<TaskRecord>> delivered(UUID taskId, int attempt, String via) {
    // The outbox row goes in the same transaction: a row left behind would be claimed again when its
    // claim lapsed, and the gateway asked to start a running task again.
    return pool.withTransaction(conn -> conn.preparedQuery(DELETE_OUTBOX).execute(Tuple.of(taskId, attempt))
        .compose(r -> settle(conn, taskId, attempt, TaskTrigger.START_ACCEPTED.to(), null, null, null))
        .compose(task -> task.isEmpty() ? Future.succeededFuture(task)
            : insertEvent(conn, taskId, TaskTrigger.START_ACCEPTED.eventName(), attempt, task.get().agentId(), new JsonObject().put("via", via)).map(task)));
  }

  /**
   * Seed 04's rollback: the start failed (error, {@code started: false}, or a timeout nobody confirmed).
   * The task goes back to the queue with a backoff, or fails for good after its last attempt; the agent
   * goes back to ready with the reason on its record. Empty when the attempt is no longer live (a report
   * from it arrived first, or it was already settled): nothing is written then.
   */
  public Future<Optional<TaskRecord>> rollBack(UUID taskId, int attempt, String reason, Duration backoff) {
    Instant now = clock.instant();
    return inTransaction((tx, conn) -> conn.preparedQuery(LOCK).execute(Tuple.of(taskId)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(Optional.<TaskRecord>empty());
      }
      TaskRecord task = TaskRecord.fromRow(rows.iterator().next());
      // START_FAILED and START_FAILED_FOR_GOOD share their from-states (TaskTriggerTest): the row is locked, so
      // checking here is as good as a condition in the UPDATE.
      if (task.attempt() != attempt || !TaskTrigger.START_FAILED.appliesTo(task.state())) {
        // Settled already: drop the attempt's outbox row if one is left, so it is not carried out again.
        return conn.preparedQuery(DELETE_OUTBOX).execute(Tuple.of(taskId, attempt)).map(r -> Optional.<TaskRecord>empty());
      }
      boolean exhausted = attempt >= task.maxAttempts();
      TaskTrigger outcome = exhausted ? TaskTrigger.START_FAILED_FOR_GOOD : TaskTrigger.START_FAILED;
      return conn.preparedQuery("UPDATE tasks SET state = $3, last_error = $4, not_before = $5, updated_at = $6, "
              + "version = version + 1 WHERE id = $1 AND attempt = $2 RETURNING " + TaskRecord.COLUMNS)
          .execute(Tuple.of(taskId, attempt, outcome.to().wireName(), reason, utc(now.plus(backoff)), utc(now)))
          .map(r -> TaskRecord.fromRow(r.iterator().next()))
          .compose(updated -> conn.preparedQuery(DELETE_OUTBOX).execute(Tuple.of(taskId, attempt))
              .compose(r -> insertEvent(conn, taskId, outcome.eventName(), attempt, task.agentId(),
                  new JsonObject().put("reason", reason).put("retryAt", exhausted ? null : now.plus(backoff).toString())))
              .compose(r -> releaseAgent(tx, task.agentId(), LifecycleTrigger.DISPATCH_ROLLED_BACK,
                  AgentChange.create().lastProvisionError("task " + taskId + " attempt " + attempt + " did not start: " + reason),
                  new JsonObject().put("taskId", taskId.toString()).put("attempt", attempt).put("reason", reason)))
              .map(r -> Optional.of(updated)));
    }));
  }

  /**
   * The agent's instance is gone (re-provisioned or deleted): its live tasks are re-queued for another
   * attempt, or failed when {@code requeue} is false or they have no attempts left, with their outbox
   * rows removed. In the caller's transaction.
   */
  /** Which of {@code agentIds} have a live task (dispatched or delivered), with one query. */
  public Future<java.util.Set<UUID>> agentsWithLiveTasks(List<UUID> agentIds) {
    if (agentIds.isEmpty()) {
      return Future.succeededFuture(java.util.Set.of());
    }
    return pool.preparedQuery("SELECT DISTINCT agent_id FROM tasks WHERE agent_id = ANY($1) AND " + TaskTrigger.whereLive("state"))
        .execute(Tuple.of(agentIds.toArray(new UUID[0])))
        .map(rows -> {
          java.util.Set<UUID> busy = new java.util.HashSet<>();
          for (Row row : rows) {
            busy.add(row.getUUID(0));
          }
          return busy;
        });
  }

  public Future<Void> releaseLiveTasksIn(SqlConnection conn, UUID agentId, boolean requeue, String reason) {
    Instant now = clock.instant();
    return conn.preparedQuery("UPDATE tasks SET state = CASE WHEN $2 AND attempt < max_attempts THEN "
            + TaskTrigger.INSTANCE_LOST.toSql() + " ELSE " + TaskTrigger.INSTANCE_LOST_FOR_GOOD.toSql() + " END, "
            + "last_error = $3, not_before = $4, updated_at = $4, version = version + 1 "
            + "WHERE agent_id = $1 AND " + TaskTrigger.whereFrom(TaskTrigger.INSTANCE_LOST, TaskTrigger.INSTANCE_LOST_FOR_GOOD)
            + " RETURNING id, attempt, state")
        .execute(Tuple.of(agentId, requeue, reason, utc(now)))
        .compose(rows -> {
          Future<Void> chain = Future.succeededFuture();
          for (Row row : rows) {
            UUID taskId = row.getUUID("id");
            int attempt = row.getInteger("attempt");
            String name = (TaskTrigger.INSTANCE_LOST.to() == TaskRecord.State.fromWire(row.getString("state"))
                ? TaskTrigger.INSTANCE_LOST : TaskTrigger.INSTANCE_LOST_FOR_GOOD).eventName();
            chain = chain.compose(v -> conn.preparedQuery(DELETE_OUTBOX).execute(Tuple.of(taskId, attempt)))
                .compose(r -> insertEvent(conn, taskId, name, attempt, agentId, new JsonObject().put("reason", reason)));
          }
          return chain;
        });
  }

  /** What a report (started or ack) found. */
  public sealed interface Report {
    record Accepted(TaskRecord task) implements Report {
    }

    /** Not this agent's task, or not its current attempt: the reporting instance must stop. */
    record Refused(ApiError error) implements Report {
    }
  }

  /**
   * A report from the agent on one attempt: {@code started} (cancels a pending timeout rollback: the
   * task is delivered) or {@code ack} (processed; the agent turns ready). Repeated reports of the same
   * attempt are answered again without writing.
   */
  public Future<Report> report(UUID agentId, UUID taskId, int attempt, boolean ack, JsonObject result) {
    return inTransaction((tx, conn) -> conn.preparedQuery(LOCK).execute(Tuple.of(taskId)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(ApiError.notFound("task_not_found", "task " + taskId + " does not exist").exception());
      }
      TaskRecord task = TaskRecord.fromRow(rows.iterator().next());
      if (!agentId.equals(task.agentId())) {
        return Future.succeededFuture((Report) new Report.Refused(new ApiError(403, "task_not_assigned",
            "task " + taskId + " is not assigned to agent " + agentId, false)));
      }
      boolean repeat = task.attempt() == attempt
          && (task.state() == TaskRecord.State.PROCESSED || (!ack && task.state() == TaskRecord.State.DELIVERED));
      if (repeat) {
        return Future.succeededFuture((Report) new Report.Accepted(task));
      }
      if (task.attempt() != attempt || !task.state().attemptLive()) {
        return Future.succeededFuture((Report) new Report.Refused(ApiError.conflict("attempt_superseded", "attempt " + attempt
            + " of task " + taskId + " is no longer live (the task is " + task.state().wireName() + " at attempt " + task.attempt()
            + "); stop working on it", false).with("action", "stop")));
      }
      TaskTrigger trigger = ack ? TaskTrigger.ACKNOWLEDGED : TaskTrigger.START_ACCEPTED;
      return settle(conn, taskId, attempt, trigger.to(), ack ? (result == null ? new JsonObject() : result) : null, null, null)
          .compose(updated -> conn.preparedQuery(DELETE_OUTBOX).execute(Tuple.of(taskId, attempt))
              .compose(r -> insertEvent(conn, taskId, trigger.eventName(), attempt, agentId,
                  new JsonObject().put("via", "agent report")))
              .compose(r -> ack ? releaseAgent(tx, agentId, LifecycleTrigger.TASK_PROCESSED, AgentChange.none(),
                  new JsonObject().put("taskId", taskId.toString()).put("attempt", attempt)) : Future.succeededFuture())
              .map(r -> (Report) new Report.Accepted(updated.orElseThrow())));
    }));
  }

  /**
   * A transaction that may move the task's agent ({@link AgentRepository#inTransaction}: the agent's
   * transition is announced once it committed), with its connection for the task's own statements.
   */
  private <T> Future<T> inTransaction(java.util.function.BiFunction<AgentRepository.Tx, SqlConnection, Future<T>> work) {
    return agents.inTransaction(tx -> work.apply(tx, tx.connection()));
  }

  private Future<Optional<TaskRecord>> settle(SqlConnection conn, UUID taskId, int attempt, TaskRecord.State next,
                                              JsonObject result, String error, Instant notBefore) {
    return conn.preparedQuery(SETTLE).execute(Tuple.from(java.util.Arrays.asList(taskId, attempt, next.wireName(),
            utc(clock.instant()), result, error, notBefore == null ? null : utc(notBefore))))
        .map(rows -> rows.size() == 0 ? Optional.<TaskRecord>empty() : Optional.of(TaskRecord.fromRow(rows.iterator().next())));
  }

  /** Moves the task's agent out of busy in the caller's transaction, if it is still busy. */
  private Future<Void> releaseAgent(AgentRepository.Tx tx, UUID agentId, LifecycleTrigger trigger, AgentChange change,
                                    JsonObject detail) {
    if (agentId == null) {
      return Future.succeededFuture();
    }
    SqlConnection conn = tx.connection();
    return agents.findForUpdate(conn, agentId).compose(found -> {
      AgentRecord agent = found.orElse(null);
      if (agent == null || agent.status() != LifecycleStatus.BUSY) {
        return Future.succeededFuture();
      }
      // Busy belongs to the agent's live task: an ack or rollback of an older task (the agent went
      // offline and came back meanwhile, and took another) does not end it.
      return conn.preparedQuery(HAS_LIVE_TASK).execute(Tuple.of(agentId)).compose(live -> live.size() > 0
          ? Future.succeededFuture()
          : tx.transition(agent, trigger, change, detail).mapEmpty());
    });
  }

  private Future<Void> fail(SqlConnection conn, TaskRecord task, String reason) {
    TaskTrigger trigger = TaskTrigger.REQUESTED_AGENT_DELETED;
    return conn.preparedQuery("UPDATE tasks SET state = " + trigger.toSql() + ", last_error = $2, updated_at = $3, version = version + 1 "
            + "WHERE id = $1 AND " + trigger.whereFrom()).execute(Tuple.of(task.id(), reason, utc(clock.instant())))
        .compose(r -> insertEvent(conn, task.id(), trigger.eventName(), task.attempt(), task.requestedAgentId(), new JsonObject().put("reason", reason)));
  }

  private Future<Void> insertEvent(SqlConnection conn, UUID taskId, String name, Integer attempt, UUID agentId, JsonObject detail) {
    return conn.preparedQuery(INSERT_EVENT).execute(Tuple.of(taskId, utc(clock.instant()), name, attempt, agentId, detail))
        .mapEmpty();
  }
}
