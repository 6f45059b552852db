package dev.rollcall.reconciler;

import dev.rollcall.core.bus.Failure;
import dev.rollcall.core.bus.ProvisionerClient;
import dev.rollcall.core.bus.ProvisionerMessages;
import dev.rollcall.core.due.DueQueue;
import dev.rollcall.core.lifecycle.LifecycleEventNames;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.liveness.Leases;
import dev.rollcall.core.metrics.Metrics;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.persistence.AgentChange;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.AgentRepository;
import dev.rollcall.core.persistence.TaskRepository;
import dev.rollcall.core.persistence.TransitionResult;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The imperative shell around {@link Reconciliation}: for a batch of claimed due entries it loads the
 * inputs (agent rows with one query, leases with one ZMSCORE, live tasks of busy agents with one query),
 * decides, applies the actions and settles each claim with the decision's next look.
 *
 * <p>Applying is safe to repeat: status changes are conditional updates through the lifecycle table
 * (a second application is a lost race and only re-queues the agent), wakes and provisions go through
 * the provisioner's single flight. Recovery actions pass the gateway's gates ({@link RecoveryGates})
 * first; an agent held by a gate is looked at again when the gate opens.
 */
final class ReconcilePass {
  private static final Logger LOG = LoggerFactory.getLogger(ReconcilePass.class);

  private final NodeContext node;
  private final AgentRepository agents;
  private final TaskRepository tasks;
  private final FleetView fleet;
  private final RecoveryGates gates;
  private final Reconciliation.Policy policy;
  private final ProvisionerClient provisioner;

  ReconcilePass(NodeContext node, TaskRepository tasks, FleetView fleet, RecoveryGates gates) {
    this.node = node;
    this.agents = node.agentRepository();
    this.tasks = tasks;
    this.fleet = fleet;
    this.gates = gates;
    this.policy = Reconciliation.Policy.of(node.config());
    this.provisioner = new ProvisionerClient(node.vertx(), node.config());
  }

  /** Decides and applies every claim; completes when each claim is settled (or left to its visibility timeout). */
  Future<Void> run(List<DueQueue.Claim> claims) {
    if (claims.isEmpty()) {
      return Future.succeededFuture();
    }
    List<UUID> ids = claims.stream().map(DueQueue.Claim::agentId).toList();
    return Future.all(agents.findAll(ids), Leases.lastSeenAll(node.redis(), ids)).compose(loaded -> {
      List<AgentRecord> rows = loaded.resultAt(0);
      List<Long> leases = loaded.resultAt(1);
      Map<UUID, AgentRecord> byId = new HashMap<>();
      rows.forEach(a -> byId.put(a.id(), a));
      Map<UUID, Long> leaseById = new HashMap<>();
      for (int i = 0; i < ids.size(); i++) {
        if (leases.get(i) != null) {
          leaseById.put(ids.get(i), leases.get(i));
        }
      }
      List<UUID> busy = rows.stream().filter(a -> a.status() == LifecycleStatus.BUSY).map(AgentRecord::id).toList();
      return tasks.agentsWithLiveTasks(busy).compose(withTasks -> {
        // Decided and applied one by one; settled together, with one script call for the whole batch. Every
        // callback runs on this verticle's event loop, so a plain map (null = no next look) is safe.
        Map<DueQueue.Claim, Instant> nextLooks = new HashMap<>();
        List<java.util.function.Supplier<Future<Void>>> passes = new ArrayList<>(claims.size());
        for (DueQueue.Claim claim : claims) {
          passes.add(() -> one(claim, byId.get(claim.agentId()), leaseById.get(claim.agentId()), withTasks, nextLooks));
        }
        return atMostConcurrent(passes).compose(v -> DueQueue.completeAll(node.redis(), nextLooks));
      });
    }).onFailure(e -> fleet.outageSeen(FleetView.OUTAGE_STORE, "reconcile pass could not load its inputs: " + e.getMessage()));
  }

  /**
   * Runs the passes with at most {@link #CONCURRENT_PASSES} in flight: a batch is hundreds of agents,
   * and those that act (a transaction, a wake, a provision with its gateway call) must not flood the
   * pools below them. A pass starts as soon as any other ends, not when a whole window has: with
   * windows joined, one pass waiting on a slow gateway call held up the 31 beside it, and during a
   * 10,000-agent creation burst the due queue (lapsed leases included) fell seconds behind.
   * Every callback runs on this verticle's event loop, so the counters need no locks.
   */
  private Future<Void> atMostConcurrent(List<java.util.function.Supplier<Future<Void>>> passes) {
    if (passes.isEmpty()) {
      return Future.succeededFuture();
    }
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    new Object() {
      int next;
      int running;
      boolean launching;

      void launch() {
        if (launching) {
          return; // a pass that completed at once: the loop below goes on
        }
        launching = true;
        while (running < CONCURRENT_PASSES && next < passes.size()) {
          Future<Void> pass = passes.get(next++).get();
          running++;
          pass.onComplete(ar -> {
            running--;
            if (next >= passes.size() && running == 0) {
              done.tryComplete();
            } else {
              launch();
            }
          });
        }
        launching = false;
        if (next >= passes.size() && running == 0) {
          done.tryComplete();
        }
      }
    }.launch();
    return done.future();
  }

  private static final int CONCURRENT_PASSES = 32;

  /**
   * One agent's pass; puts its claim's next look into {@code nextLooks} when it is settled. A pass that
   * failed puts nothing: its entry stays claimed and comes due again after the visibility timeout.
   */
  private Future<Void> one(DueQueue.Claim claim, AgentRecord agent, Long leaseMs, Set<UUID> withTasks,
                           Map<DueQueue.Claim, Instant> nextLooks) {
    if (agent == null) {
      nextLooks.put(claim, null); // not an agent (any more): nothing to look at
      return Future.succeededFuture();
    }
    Instant now = node.clock().instant();
    Reconciliation.Observation observation = new Reconciliation.Observation(agent,
        leaseMs == null ? null : Instant.ofEpochMilli(leaseMs), withTasks.contains(agent.id()),
        fleet.unreachable(agent.gatewayId()), fleet.fleetSilent(), fleet.judgeFrom());
    Reconciliation.Decision decision = Reconciliation.decide(observation, policy, now);
    Future<Reconciliation.Decision> gated = decision.recovers() ? gate(agent, decision, now) : Future.succeededFuture(decision);
    return gated.compose(d -> apply(agent, d).map(applied -> {
          // An agent that changed under the pass is looked at again at once, with its new record.
          count(applied ? d.outcome() : ReconcileOutcome.CHANGED);
          log(agent, d, applied);
          return applied ? d.nextLook() : now;
        }))
        .<Void>map(next -> {
          nextLooks.put(claim, next);
          LOG.atDebug().addKeyValue("event", LifecycleEventNames.QUEUE_WORKER_SUCCESS).addKeyValue("agent_id", agent.id())
              .log("due entry handled");
          return null;
        })
        .recover(e -> {
          // Left claimed: the entry comes due again after the visibility timeout, on whichever node.
          LOG.atWarn().addKeyValue("event", ReconcileOutcome.FAILED.eventName()).addKeyValue("agent_id", agent.id())
              .addKeyValue("error", String.valueOf(e.getMessage())).log("reconcile pass failed; retried after the claim expires");
          count(ReconcileOutcome.FAILED);
          return Future.succeededFuture();
        });
  }

  /**
   * Recovery passes the unreachable gateway's probe slot; a re-provision then takes a token from the
   * gateway's bucket. A repeat wake takes none: it starts no new instance, and seed 01's escalation
   * already bounds it (at most {@code maxWakeAttempts} per check-in cycle, one per check-in deadline).
   * Charging wakes to the bucket let the start-up escalations of a large gateway queue its
   * re-provisions for tens of seconds, and an agent answering 401 waited behind them.
   */
  private Future<Reconciliation.Decision> gate(AgentRecord agent, Reconciliation.Decision decision, Instant now) {
    Future<Duration> probe = fleet.unreachable(agent.gatewayId())
        ? gates.probeSlotFor(agent.gatewayId(), agent.id())
        : Future.succeededFuture(Duration.ZERO);
    boolean reprovisions = decision.actions().stream().anyMatch(a -> a instanceof Reconciliation.Reprovision);
    return probe.compose(probeWait -> {
      if (!probeWait.isZero()) {
        return Future.succeededFuture(Reconciliation.Decision.defer(ReconcileOutcome.HELD_GATEWAY_UNREACHABLE, now.plus(probeWait).plus(jitter())));
      }
      if (!reprovisions) {
        return Future.succeededFuture(decision);
      }
      return gates.tokenFor(agent.gatewayId(), agent.id(), now).map(tokenWait -> tokenWait.isZero() ? decision
          : Reconciliation.Decision.defer(ReconcileOutcome.RATE_LIMITED, now.plus(tokenWait).plus(jitter())));
    });
  }

  /**
   * Applies the decision's action (each decision has at most one: combined effects, such as clearing a
   * suspicion while promoting, are one update). False when the agent changed under the pass.
   */
  private Future<Boolean> apply(AgentRecord agent, Reconciliation.Decision decision) {
    Future<Boolean> chain = Future.succeededFuture(true);
    for (Reconciliation.Action action : decision.actions()) {
      chain = chain.compose(ok -> ok ? applyOne(agent, action) : Future.succeededFuture(false));
    }
    return chain;
  }

  /** One action; false when the agent changed under the pass (it is looked at again at once). */
  private Future<Boolean> applyOne(AgentRecord agent, Reconciliation.Action action) {
    JsonObject detail = new JsonObject().put("source", "reconciler").put("node", node.nodeId());
    if (action instanceof Reconciliation.Note note) {
      return agents.recordEvent(agent, note.eventName(), detail.put("why", note.why())).map(true);
    }
    if (action instanceof Reconciliation.Suspect suspect) {
      return transition(agent, LifecycleTrigger.LEASE_LAPSED, AgentChange.create().suspectSince(suspect.since()),
          detail.put("lastHeard", suspect.lastHeard().toString()).put("lapsedAt", suspect.lapsedAt().toString())
              .put("markedAfterLapseMs", java.time.Duration.between(suspect.lapsedAt(), suspect.since()).toMillis()));
    }
    if (action instanceof Reconciliation.Renewed) {
      return transition(agent, LifecycleTrigger.LEASE_RENEWED, AgentChange.create().suspectSince(null), detail);
    }
    if (action instanceof Reconciliation.Apply apply) {
      AgentChange change = AgentChange.create().statusReason(apply.reason());
      if (apply.provisionError() != null) {
        change.lastProvisionError(apply.provisionError());
      }
      apply.recoveryAt().ifPresent(change::recoveryAt);
      if (apply.recoveryProbes() != null) {
        change.recoveryProbes(apply.recoveryProbes());
      }
      boolean verdict = apply.trigger() == LifecycleTrigger.LEASE_EXPIRED || apply.trigger() == LifecycleTrigger.WAKE_ATTEMPTS_EXHAUSTED;
      if (apply.clearsSuspicion()) {
        change.suspectSince(null);
      }
      if (verdict) {
        change.suspectSince(null).checkinDeadline(null);
      }
      return transition(agent, apply.trigger(), change, detail.put("why", apply.reason())).map(ok -> {
        if (ok && verdict) {
          Metrics.count(node.meters(), "rollcall.reconcile.offline", "Offline verdicts by reason",
              "reason", apply.trigger() == LifecycleTrigger.LEASE_EXPIRED ? "lease_expired" : "max_attempts_reached");
        }
        return ok;
      });
    }
    if (action instanceof Reconciliation.Wake wake) {
      // The provisioner records lifecycle.reconcile.retriggered in the wake's own transaction: a wake that
      // never happened leaves no such event behind.
      return provisioner.wake(new ProvisionerMessages.Wake(agent.id(), "reconciler", wake.why(), agent.version()))
          .map(true)
          .recover(e -> refusedAsConflict(e) ? Future.succeededFuture(false) : Future.failedFuture(e));
    }
    if (action instanceof Reconciliation.Reprovision reprovision) {
      return provisioner.provision(new ProvisionerMessages.Provision(agent.id(), "reconciler: " + reprovision.why(),
              reprovision.keepWakeBudget(), agent.version()))
          .map(true)
          .recover(e -> refusedAsConflict(e) ? Future.succeededFuture(false) : Future.failedFuture(e));
    }
    return Future.failedFuture(new IllegalStateException("unknown action " + action));
  }

  /**
   * A status change; a lease expiry of a busy agent releases its task in the same transaction (the
   * task goes back to the queue, seed 04: a delivered task whose agent went offline is not lost).
   */
  private Future<Boolean> transition(AgentRecord agent, LifecycleTrigger trigger, AgentChange change, JsonObject detail) {
    return agents.inTransaction(tx -> tx.transition(agent, trigger, change, detail)
            .compose(result -> result instanceof TransitionResult.Applied && trigger == LifecycleTrigger.LEASE_EXPIRED
                ? tasks.releaseLiveTasksIn(tx.connection(), agent.id(), true, "the agent went offline: " + detail.getString("why"))
                    .map(result)
                : Future.succeededFuture(result)))
        .map(result -> result instanceof TransitionResult.Applied || result instanceof TransitionResult.Unchanged);
  }

  /** A 409 (agent_changed, not_wakeable): the agent changed under the pass. */
  private static boolean refusedAsConflict(Throwable e) {
    return Failure.toApiError(e).status() == 409;
  }

  private void count(ReconcileOutcome outcome) {
    Metrics.count(node.meters(), "rollcall.reconcile.passes", "Reconcile passes by outcome", "outcome", outcome.tag());
  }

  /** Seed 01's names in the logs: one line per pass that did something, DEBUG for a plain deferral. */
  private void log(AgentRecord agent, Reconciliation.Decision d, boolean applied) {
    (d.actions().isEmpty() ? LOG.atDebug() : LOG.atInfo())
        .addKeyValue("event", applied ? d.outcome().eventName() : ReconcileOutcome.CHANGED.eventName())
        .addKeyValue("agent_id", agent.id())
        .addKeyValue("status", agent.status().wireName())
        .addKeyValue("wake_attempts", agent.wakeAttempts())
        .addKeyValue("next_look", d.nextLook())
        .log(applied ? "reconcile " + d.outcome().tag() : "agent changed under the pass; looked at again");
  }

  private static Duration jitter() {
    return Duration.ofMillis(ThreadLocalRandom.current().nextLong(0, 250));
  }
}
