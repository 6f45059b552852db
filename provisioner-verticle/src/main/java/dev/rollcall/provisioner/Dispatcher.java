package dev.rollcall.provisioner;

import dev.rollcall.core.persistence.TaskRecord;
import dev.rollcall.core.persistence.TaskRepository;
import dev.rollcall.core.metrics.Metrics;
import dev.rollcall.core.gateway.GatewayClient;
import dev.rollcall.core.gateway.GatewayClient.TaskStart;
import dev.rollcall.core.node.NodeContext;
import io.micrometer.core.instrument.Gauge;
import dev.rollcall.core.util.Drain;
import dev.rollcall.core.util.OneAtATime;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed 04's dispatcher, one per node. A pass (every {@code dispatchInterval}, and at once when a task is
 * queued) does three things, each safe with any number of dispatchers on any nodes:
 * <ol>
 *   <li>dispatch due queued tasks to ready agents (agent busy + task dispatched + outbox row, one
 *       transaction; rows locked with SKIP LOCKED so two dispatchers never take the same task or agent);</li>
 *   <li>carry out claimed outbox rows: the gateway's task start for that attempt. Started: delivered.
 *       Error or {@code started: false}: rolled back at once. Timeout: ambiguous, so a confirmation
 *       window opens in which a report from that attempt settles it;</li>
 *   <li>roll back the timed-out starts whose window passed with no report.</li>
 * </ol>
 * A claim lapses if its node dies, and another dispatcher carries the row out; the attempt number
 * fences every report, so a start carried out twice can still only be settled once.
 */
final class Dispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
  private static final int BATCH = 32;

  private final NodeContext node;
  private final TaskRepository tasks;
  private final GatewayClient gateway;
  private final GatewayBreaker breaker;
  private final Duration claimFor;
  /** The pass under way: what {@link #stop()} waits for. */
  private final Drain underWay = new Drain();
  private final OneAtATime passes = new OneAtATime(underWay, this::onePass);

  Dispatcher(NodeContext node, TaskRepository tasks, GatewayClient gateway) {
    this.node = node;
    this.tasks = tasks;
    this.gateway = gateway;
    // A claim outlives the start call it covers, with room to settle the outcome.
    this.claimFor = node.config().gatewayTimeout().multipliedBy(3);
    this.breaker = new GatewayBreaker(node.config().breakerFailures(), node.config().breakerCooldown(),
        claimFor.plus(node.config().startConfirmWindow()));
    Gauge.builder("rollcall.dispatch.breakers.open", breaker, GatewayBreaker::notClosed)
        .description("Gateways whose task-start circuit breaker is open or probing").register(node.meters());
  }

  /** Runs a pass now, or once more right after the one running (a task queued meanwhile is not missed). */
  void pass() {
    passes.runSoon();
  }

  /** A pass that starts now, or after the one running; completes when it has finished. On the dispatcher's loop. */
  Future<Void> passNow() {
    return passes.runNext();
  }

  private Future<Void> onePass() {
    // Each step on its own: one that fails does not hold back the others. The whole pass is bounded, so
    // a query that never returns (a half-open connection) cannot wedge this node's dispatcher.
    return step("dispatch", dispatchDue())
        .compose(v -> step("start", carryOutStarts()))
        .compose(v -> step("roll_back_unconfirmed", rollBackUnconfirmed()))
        .timeout(claimFor.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .onFailure(e -> LOG.atWarn().addKeyValue("event", "dispatch.pass_timed_out").log("dispatch pass timed out; the next one retries"));
  }

  /**
   * No pass starts after this; completes when the one under way ends (it is bounded by its timeout), so
   * the node closes the pool only after the dispatcher's last query. A claimed start cut short is carried
   * out by the next dispatcher when its claim lapses.
   */
  Future<Void> stop() {
    return underWay.close();
  }

  private Future<Void> step(String name, Future<Void> step) {
    return step.recover(e -> {
      LOG.atWarn().addKeyValue("event", "dispatch.step_failed").addKeyValue("step", name)
          .addKeyValue("error", String.valueOf(e.getMessage())).log("dispatch step failed; the next pass retries");
      return Future.succeededFuture();
    });
  }

  private Future<Void> dispatchDue() {
    return tasks.due(BATCH, breaker.blocked(node.clock().instant())).compose(due -> sequentially(due, d -> {
      Instant now = node.clock().instant();
      if (!breaker.allows(d.gatewayId(), now)) {
        return Future.succeededFuture();
      }
      return tasks.dispatch(d.taskId()).map(dispatched -> {
        dispatched.ifPresent(start -> {
          breaker.dispatched(start.gatewayId(), node.clock().instant());
          count("rollcall.dispatches", "dispatched");
        });
        return null;
      });
    }));
  }

  private Future<Void> carryOutStarts() {
    return tasks.claimStarts(claimFor, BATCH).compose(starts -> Future.all(starts.stream().map(this::start).toList()).mapEmpty());
  }

  private Future<Void> start(TaskRepository.Start start) {
    JsonObject body = new JsonObject().put("taskId", start.taskId().toString()).put("attempt", start.attempt())
        .put("provisionEpoch", start.provisionEpoch()).put("payload", start.payload());
    return gateway.startTask(start.baseUrl(), start.agentId(), body).compose(outcome -> {
      Instant now = node.clock().instant();
      if (outcome.outcome() == TaskStart.Outcome.STARTED) {
        if (breaker.succeeded(start.gatewayId())) {
          LOG.atInfo().addKeyValue("event", "dispatch.breaker_closed").addKeyValue("gateway_id", start.gatewayId())
              .log("task starts succeed again on this gateway");
        }
        count("rollcall.dispatches", "delivered");
        return tasks.delivered(start.taskId(), start.attempt(), "gateway").mapEmpty();
      }
      if (breaker.failed(start.gatewayId(), now)) {
        Metrics.count(node.meters(), "rollcall.dispatch.breaker.opened", "Times a gateway's task-start breaker opened");
        LOG.atWarn().addKeyValue("event", "dispatch.breaker_opened").addKeyValue("gateway_id", start.gatewayId())
            .addKeyValue("reason", outcome.reason()).log("task starts keep failing on this gateway; dispatches to it pause");
      }
      if (outcome.outcome() == TaskStart.Outcome.TIMED_OUT) {
        // Ambiguous: the agent may have started. Seed 04's project reverted a naive rollback for exactly this.
        count("rollcall.dispatches", "unconfirmed");
        return tasks.awaitConfirmation(start, now.plus(node.config().startConfirmWindow()), outcome.reason());
      }
      String kind = outcome.outcome() == TaskStart.Outcome.REFUSED ? "refused" : "error";
      return rollBack(start, "start " + kind + ": " + outcome.reason(), kind);
    });
  }

  private Future<Void> rollBackUnconfirmed() {
    return tasks.claimUnconfirmed(claimFor, BATCH).compose(starts -> sequentially(starts, start -> rollBack(start,
        "start timed out and attempt " + start.attempt() + " did not report within " + node.config().startConfirmWindow().toMillis()
            + " ms", "unconfirmed_timeout")));
  }

  private Future<Void> rollBack(TaskRepository.Start start, String reason, String kind) {
    Duration backoff = backoff(start.attempt());
    return tasks.rollBack(start.taskId(), start.attempt(), reason, backoff).map(rolled -> {
      rolled.ifPresent(task -> {
        Metrics.count(node.meters(), "rollcall.dispatch.rollbacks", "Dispatches rolled back, by why", "reason", kind);
        if (task.state() == TaskRecord.State.FAILED) {
          count("rollcall.dispatches", "failed");
        }
      });
      return null;
    });
  }

  /** Backoff before attempt n+1: the base, doubled per attempt, at most 64 times the base. */
  Duration backoff(int attempt) {
    return node.config().taskRetryBackoff().multipliedBy(1L << Math.min(Math.max(attempt - 1, 0), 6));
  }

  private static <T> Future<Void> sequentially(List<T> items, java.util.function.Function<T, Future<Void>> step) {
    Future<Void> chain = Future.succeededFuture();
    for (T item : items) {
      chain = chain.compose(v -> step.apply(item));
    }
    return chain;
  }

  private void count(String meter, String outcome) {
    Metrics.count(node.meters(), meter, "Task dispatch outcomes", "outcome", outcome);
  }
}
