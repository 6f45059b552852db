package dev.rollcall.provisioner;

import dev.rollcall.core.persistence.TaskRecord;
import dev.rollcall.core.persistence.TaskRepository;
import dev.rollcall.core.metrics.Metrics;
import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.bus.ProvisionerMessages;
import dev.rollcall.core.bus.ProvisionerMessages.Operation;
import dev.rollcall.core.bus.TokenMessages;
import dev.rollcall.core.due.DueQueue;
import dev.rollcall.core.gateway.GatewayClient;
import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.lifecycle.LifecycleEventNames;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.liveness.Leases;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.persistence.AgentChange;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.LostRaces;
import dev.rollcall.core.persistence.AgentRepository;
import dev.rollcall.core.persistence.GatewayRecord;
import dev.rollcall.core.persistence.TransitionResult;
import dev.rollcall.core.util.LruMap;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provision, wake, delete and stale-instance clean-up (seeds 01 and 03).
 *
 * <p>Single flight, cluster-wide, without a lock service: starting a provision attempt is the
 * conditional update that moves the agent to {@code provisioning} and bumps {@code provision_epoch}.
 * Of any number of concurrent requests, on any nodes, exactly one wins that update; the others lose the
 * race, re-read, find the agent provisioning and join the attempt (they get the same epoch back). Every
 * side effect after the gateway call is fenced by the epoch: the outcome of an attempt that a newer one
 * replaced is dropped, never written. An attempt whose node died is taken over once it is older than
 * {@link #takeOverAfter} (its ticket request and its gateway call have both timed out by then).
 */
final class Provisioning {
  private static final Logger LOG = LoggerFactory.getLogger(Provisioning.class);

  private final NodeContext node;
  private final AgentRepository agents;
  private final TaskRepository tasks;
  private final GatewayClient gateway;
  private final Duration takeOverAfter;
  private final io.vertx.core.eventbus.DeliveryOptions busOptions;
  /** Stale instances already deprovisioned by this node: one deprovision per (agent, epoch). */
  private final Map<String, Boolean> deprovisioned = new LruMap<>(10_000);

  Provisioning(NodeContext node, GatewayClient gateway, TaskRepository tasks) {
    this.node = node;
    this.tasks = tasks;
    this.agents = node.agentRepository();
    this.gateway = gateway;
    this.takeOverAfter = node.config().provisionTakeOverAfter();
    this.busOptions = new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(node.config().busTimeout().toMillis());
  }

  /** Starts an attempt for an agent created in {@code provisioning} at its first epoch (its creator owns it). */
  Operation provisionCreated(AgentRecord created) {
    count("rollcall.provisions", "started");
    run(created, "create");
    return new Operation(created.id(), created.provisionEpoch(), false);
  }

  /**
   * Provisions or re-provisions under single flight; see the class comment. With an expected version
   * (the reconciler) a changed agent is refused with 409 {@code agent_changed}; with
   * {@code keepWakeBudget} the new instance inherits the wake attempts, so that an agent that keeps
   * losing its credential does not wake forever.
   */
  Future<Operation> provision(ProvisionerMessages.Provision command) {
    // A lost race is most likely another request that just started an attempt: read again and join it.
    // A caller that decided on a version (the reconciler) is told the agent changed instead.
    return command.expectedVersion() != null
        ? LostRaces.retry(1, n -> provisionOnce(command), race -> Future.failedFuture(agentChanged(command.agentId())))
        : LostRaces.retry(4, n -> provisionOnce(command));
  }

  private Future<Operation> provisionOnce(ProvisionerMessages.Provision command) {
    UUID agentId = command.agentId();
    String source = command.source();
    boolean keepWakeBudget = command.keepWakeBudget();
    Long expectedVersion = command.expectedVersion();
    return liveAgent(agents, agentId).compose(agent -> {
      if (expectedVersion != null && agent.version() != expectedVersion) {
        return Future.failedFuture(agentChanged(agentId));
      }
      Instant now = node.clock().instant();
      // updated_at, not status_changed_at: a take-over keeps the status, so only updated_at says when the
      // current attempt started (nothing else writes an agent while it is provisioning).
      if (agent.status() == LifecycleStatus.PROVISIONING && agent.updatedAt().plus(takeOverAfter).isAfter(now)) {
        count("rollcall.provisions", "joined");
        return Future.succeededFuture(new Operation(agentId, agent.provisionEpoch(), true));
      }
      boolean takeOver = agent.status() == LifecycleStatus.PROVISIONING;
      // A new instance starts seed 01's wake budget afresh, unless it replaces a lost credential.
      AgentChange change = AgentChange.create().bumpProvisionEpoch().checkinDeadline(null).wokenAt(null);
      if (!keepWakeBudget) {
        change.wakeAttempts(0);
      }
      return transitionReleasingTasks(agent, LifecycleTrigger.PROVISION_REQUESTED, change,
              new JsonObject().put("source", source).put("tookOverStaleAttempt", takeOver)
                  .put("keepWakeBudget", keepWakeBudget), true,
              "the agent was re-provisioned; its old instance is fenced out")
          .compose(result -> {
            if (result instanceof TransitionResult.Applied applied) {
              count("rollcall.provisions", "started");
              run(applied.agent(), source);
              return Future.succeededFuture(new Operation(agentId, applied.agent().provisionEpoch(), false));
            }
            return result instanceof TransitionResult.LostRace race ? LostRaces.again(race) : Future.failedFuture(result.failure());
          });
    });
  }

  /** Carries out attempt {@code agent.provisionEpoch()}: ticket, gateway call, then accepted + wake or failed. */
  private void run(AgentRecord agent, String source) {
    long epoch = agent.provisionEpoch();
    node.vertx().eventBus().<JsonObject>request(Addresses.TOKEN_ISSUE_TICKET, new TokenMessages.IssueTicket(agent.id(), epoch).toJson(),
            busOptions)
        .map(reply -> TokenMessages.TicketIssued.fromJson(reply.body()))
        .compose(ticket -> gatewayOf(agent).compose(gw -> gateway.provision(gw.baseUrl(), agent.id(), new JsonObject()
            .put("agentId", agent.id().toString())
            .put("name", agent.name())
            .put("provisionEpoch", epoch)
            .put("bootstrapTicket", ticket.ticket())
            .put("templateVersion", agent.templateVersion() == null ? gw.templateVersion() : agent.templateVersion())
            .put("controlPlaneUrl", node.config().publicUrl()))))
        .onSuccess(answer -> settle(agent.id(), epoch, LifecycleTrigger.PROVISION_ACCEPTED, AgentChange.create().lastProvisionError(null),
                new JsonObject().put("source", source))
            .onSuccess(settled -> {
              if (settled == null) {
                count("rollcall.provisions", "dropped");
                return;
              }
              count("rollcall.provisions", "succeeded");
              if (settled.status() == LifecycleStatus.WAKING) {
                wake(settled, "provision", null, 3).onFailure(e -> firstWakeNotSent(settled.id(), e));
              }
            }))
        .onFailure(e -> {
          String error = "provision of epoch " + epoch + " failed: " + ApiError.of(e).message();
          // Offline until the reconciler tries again, with backoff (also when recovery probes are off: a dark
          // gateway is not a reason to give up on the agent for good).
          AgentChange failed = AgentChange.create().lastProvisionError(error)
              .recoveryAt(node.clock().instant().plus(node.config().provisionRetryDelay(agent.recoveryProbes())))
              .recoveryProbes(agent.recoveryProbes() + 1);
          settle(agent.id(), epoch, LifecycleTrigger.PROVISION_FAILED, failed,
              new JsonObject().put("source", source).put("error", error))
              .onSuccess(settled -> count("rollcall.provisions", settled == null ? "dropped" : "failed"));
        });
  }

  /**
   * The normal path, not a fault: a fast agent registers with its bootstrap ticket before the first wake's
   * transaction, and an agent that moved on meanwhile ({@code not_wakeable}, {@code agent_changed}) needs
   * no wake. Anything else is worth a WARN; the reconciler retries the wake at the check-in deadline.
   */
  private static void firstWakeNotSent(UUID agentId, Throwable failure) {
    String code = ApiError.of(failure).error();
    boolean movedOn = "not_wakeable".equals(code) || "agent_changed".equals(code);
    (movedOn ? LOG.atDebug() : LOG.atWarn()).addKeyValue("agent_id", agentId).addKeyValue("error", failure.getMessage())
        .log(movedOn ? "first wake after provision not needed; the agent moved on before it"
            : "first wake after provision not sent; the reconciler retries it");
  }

  /**
   * Applies the outcome of attempt {@code epoch} if the agent is still at that epoch; completes with
   * null (and writes nothing) when a newer attempt replaced it: the older attempt's side effects are
   * dropped.
   */
  private Future<AgentRecord> settle(UUID agentId, long epoch, LifecycleTrigger trigger, AgentChange change, JsonObject detail) {
    // Contended past the last attempt, the outcome is dropped like that of an attempt that moved on.
    return LostRaces.retry(4, n -> settleOnce(agentId, epoch, trigger, change, detail), race -> Future.succeededFuture(null));
  }

  private Future<AgentRecord> settleOnce(UUID agentId, long epoch, LifecycleTrigger trigger, AgentChange change, JsonObject detail) {
    return agents.find(agentId).compose(found -> {
      AgentRecord agent = found.orElse(null);
      if (agent == null || agent.provisionEpoch() != epoch || agent.status() == LifecycleStatus.DELETED) {
        LOG.atInfo().addKeyValue("event", "provision.outcome_dropped").addKeyValue("agent_id", agentId)
            .addKeyValue("epoch", epoch).addKeyValue("outcome", trigger.eventName())
            .log("outcome of a superseded provision attempt dropped");
        return Future.succeededFuture((AgentRecord) null);
      }
      return agents.transition(agent, trigger, change, detail).compose(result -> {
        if (result instanceof TransitionResult.Applied applied) {
          return Future.succeededFuture(applied.agent());
        }
        if (result instanceof TransitionResult.Unchanged unchanged) {
          return Future.succeededFuture(unchanged.agent());
        }
        if (result instanceof TransitionResult.LostRace race) {
          return LostRaces.again(race);
        }
        // Illegal here means the agent moved on (say, it registered and went offline): nothing to settle.
        return Future.succeededFuture((AgentRecord) null);
      });
    });
  }

  /**
   * Seed 01's wake: counts the attempt and sets the check-in deadline ({@code lifecycle.queue.enqueued}
   * in the same transaction), schedules the reconciler for the deadline, then calls the gateway. A
   * wake the gateway does not take still counts toward the budget, so a dark gateway cannot keep an
   * agent waking forever; the failure lands on the agent as {@code lifecycle.wake.failed}.
   */
  /**
   * Wakes a waking or offline agent. {@code retriggeredBecause} is set by the reconciler when a
   * check-in deadline passed: seed 01's {@code lifecycle.reconcile.retriggered} is recorded in the
   * wake's own transaction. With an expected version a changed agent is not woken (409
   * {@code agent_changed}), so two passes over one reading never spend two wakes.
   */
  Future<JsonObject> wake(ProvisionerMessages.Wake command) {
    UUID agentId = command.agentId();
    return liveAgent(agents, agentId).compose(agent -> {
      if (command.expectedVersion() != null && agent.version() != command.expectedVersion()) {
        return Future.failedFuture(agentChanged(agentId));
      }
      return wake(agent, command.source(), command.retriggeredBecause(), command.expectedVersion() == null ? 3 : 1);
    });
  }

  /**
   * Wakes the agent as {@code read}; after a lost race it reads again and decides again: an agent that
   * checked in meanwhile is no longer wakeable. Contended past the last attempt: 409 agent_changed.
   */
  private Future<JsonObject> wake(AgentRecord read, String source, String retriggeredBecause, int attempts) {
    return LostRaces.retry(attempts, n -> (n == 1 ? Future.succeededFuture(read) : liveAgent(agents, read.id())).compose(agent ->
            agent.status() == LifecycleStatus.WAKING || agent.status() == LifecycleStatus.OFFLINE
                ? wakeOnce(agent, source, retriggeredBecause)
                : Future.failedFuture(ApiError.conflict("not_wakeable", "agent " + agent.id() + " is " + agent.status().wireName()
                    + "; only a waking or offline agent is woken (provision it to replace its instance)", false).exception())),
        race -> Future.failedFuture(agentChanged(read.id())));
  }

  private Future<JsonObject> wakeOnce(AgentRecord agent, String source, String retriggeredBecause) {
    Instant deadline = node.clock().instant().plus(node.config().checkinDeadline());
    // From offline a new check-in cycle starts (seed 01's budget anew); while waking, one more attempt.
    AgentChange change = agent.status() == LifecycleStatus.OFFLINE
        ? AgentChange.create().wakeAttempts(1).checkinDeadline(deadline)
        : AgentChange.create().incrementWakeAttempts().checkinDeadline(deadline);
    if (agent.status() == LifecycleStatus.OFFLINE || agent.wokenAt() == null) {
      change.wokenAt(node.clock().instant()); // the first wake of a check-in cycle: wake-to-ready starts here
    }
    return agents.inTransaction(tx -> tx.transition(agent, LifecycleTrigger.WAKE_SENT, change, new JsonObject().put("source", source))
            .compose(result -> result instanceof TransitionResult.Applied applied
                ? (retriggeredBecause == null ? Future.succeededFuture(0L)
                    : agents.recordEventIn(tx.connection(), applied.agent(), LifecycleEventNames.RECONCILE_RETRIGGERED,
                        new JsonObject().put("why", retriggeredBecause).put("source", source)))
                    .compose(id -> agents.recordEventIn(tx.connection(), applied.agent(), LifecycleEventNames.QUEUE_ENQUEUED,
                        new JsonObject().put("dueAt", deadline.toString()).put("wakeAttempt", applied.agent().wakeAttempts())))
                    .map(result)
                : Future.succeededFuture(result)))
        .compose(result -> {
          if (result instanceof TransitionResult.LostRace race) {
            return LostRaces.again(race);
          }
          if (!(result instanceof TransitionResult.Applied applied)) {
            return Future.failedFuture(result.failure());
          }
          AgentRecord woken = applied.agent();
          // The reconciler looks at once (it records lifecycle.reconcile.deferred and queues itself for the
          // deadline). The due entry is soft state: if it is lost, the sweep finds the deadline in PostgreSQL.
          DueQueue.schedule(node.redis(), woken.id(), node.clock().instant())
              .onFailure(e -> LOG.atWarn().addKeyValue("agent_id", woken.id()).addKeyValue("error", e.getMessage())
                  .log("check-in deadline not queued; the reconciler's sweep will find it"));
          return gatewayOf(woken)
              .compose(gw -> gateway.wake(gw.baseUrl(), woken.id(), woken.provisionEpoch()))
              .map(answer -> {
                count("rollcall.wakes", "sent");
                return new JsonObject().put("agent", woken.toJson()).put("wakeDelivered", true);
              })
              .recover(e -> {
                count("rollcall.wakes", "failed");
                String error = "wake " + woken.wakeAttempts() + " not delivered: " + ApiError.of(e).message();
                return agents.noteError(woken.id(), woken.provisionEpoch(), LifecycleEventNames.WAKE_FAILED, error,
                        new JsonObject().put("source", source))
                    .map(noted -> new JsonObject().put("agent", noted.orElse(woken).toJson()).put("wakeDelivered", false)
                        .put("error", error));
              });
        });
  }

  /**
   * Deletes the agent: a tombstone (late registers and heartbeats are refused), its credentials revoked,
   * its lease and due entry dropped, and every instance deprovisioned on its gateway.
   */
  Future<AgentRecord> delete(UUID agentId) {
    return LostRaces.retry(4, n -> deleteOnce(agentId));
  }

  private Future<AgentRecord> deleteOnce(UUID agentId) {
    return agents.find(agentId).compose(found -> {
      AgentRecord agent = found.orElse(null);
      if (agent == null) {
        return Future.failedFuture(ApiError.notFound("agent_not_found", "agent " + agentId + " does not exist").exception());
      }
      return transitionReleasingTasks(agent, LifecycleTrigger.DELETE_REQUESTED, AgentChange.none(), null, false,
          "the agent was deleted").compose(result -> {
        if (result instanceof TransitionResult.LostRace race) {
          return LostRaces.again(race);
        }
        if (result instanceof TransitionResult.Unchanged unchanged) {
          return Future.succeededFuture(unchanged.agent()); // already deleted: deleting again is a no-op
        }
        if (!(result instanceof TransitionResult.Applied applied)) {
          return Future.failedFuture(result.failure());
        }
        AgentRecord deleted = applied.agent();
        node.vertx().eventBus().request(Addresses.TOKEN_REVOKE_AGENT,
                new JsonObject().put("agentId", agentId.toString()).put("reason", "agent deleted"), busOptions)
            .onFailure(e -> LOG.atWarn().addKeyValue("agent_id", agentId).addKeyValue("error", e.getMessage())
                .log("credential revocation after delete failed; the tombstone refuses them anyway"));
        Future.all(Leases.remove(node.redis(), agentId), DueQueue.remove(node.redis(), agentId))
            .onFailure(e -> LOG.atWarn().addKeyValue("agent_id", agentId).log("lease or due entry of a deleted agent not removed"));
        gatewayOf(deleted).compose(gw -> gateway.deprovision(gw.baseUrl(), agentId, null, "agent deleted"))
            .onFailure(e -> agents.noteError(agentId, deleted.provisionEpoch(), LifecycleEventNames.DEPROVISION_FAILED,
                "deprovision after delete failed: " + ApiError.of(e).message(), null));
        return Future.succeededFuture(deleted);
      });
    });
  }

  /**
   * Seed 03's second instance: something reported under a superseded epoch and was told to stop; make
   * sure it does by deprovisioning that epoch's instance on the gateway. Once per (agent, epoch) here.
   */
  void staleInstanceReported(UUID agentId, long staleEpoch) {
    String key = agentId + ":" + staleEpoch;
    if (deprovisioned.putIfAbsent(key, Boolean.TRUE) != null) {
      return;
    }
    agents.find(agentId).onSuccess(found -> found.ifPresent(agent -> {
      if (agent.provisionEpoch() <= staleEpoch) {
        return; // not stale after all (a report raced a provision); nothing to stop
      }
      gatewayOf(agent)
          .compose(gw -> gateway.deprovision(gw.baseUrl(), agentId, staleEpoch, "superseded by provision epoch " + agent.provisionEpoch()))
          .onSuccess(answer -> agents.recordEvent(agent, LifecycleEventNames.STALE_INSTANCE_DEPROVISIONED,
              new JsonObject().put("staleEpoch", staleEpoch)))
          .onFailure(e -> {
            deprovisioned.remove(key); // let the next report try again
            agents.noteError(agentId, agent.provisionEpoch(), LifecycleEventNames.DEPROVISION_FAILED,
                "deprovision of stale epoch " + staleEpoch + " failed: " + ApiError.of(e).message(),
                new JsonObject().put("staleEpoch", staleEpoch));
          });
    }));
  }

  /**
   * A transition that ends the agent's instance (re-provision, delete), with its live tasks released in
   * the same transaction: re-queued (or failed) so that no task waits forever on an instance that is
   * gone; reports from that instance are then refused as superseded.
   */
  private Future<TransitionResult> transitionReleasingTasks(AgentRecord agent, LifecycleTrigger trigger, AgentChange change,
                                                            JsonObject detail, boolean requeue, String reason) {
    return agents.inTransaction(tx -> tx.transition(agent, trigger, change, detail)
        .compose(result -> result instanceof TransitionResult.Applied
            ? tasks.releaseLiveTasksIn(tx.connection(), agent.id(), requeue, reason).map(result)
            : Future.succeededFuture(result)));
  }

  private static Throwable agentChanged(UUID agentId) {
    return ApiError.conflict("agent_changed", "agent " + agentId + " changed since the caller read it; read it again", true)
        .exception();
  }

  /** The agent, or 404 {@code agent_not_found} / 410 {@code agent_deleted}. */
  static Future<AgentRecord> liveAgent(AgentRepository agents, UUID agentId) {
    return agents.find(agentId).compose(found -> {
      AgentRecord agent = found.orElse(null);
      if (agent == null) {
        return Future.failedFuture(ApiError.notFound("agent_not_found", "agent " + agentId + " does not exist").exception());
      }
      if (agent.status() == LifecycleStatus.DELETED) {
        return Future.failedFuture(new ApiError(410, "agent_deleted", "agent " + agentId + " was deleted", false).exception());
      }
      return Future.succeededFuture(agent);
    });
  }

  private Future<GatewayRecord> gatewayOf(AgentRecord agent) {
    return node.gatewayRepository().find(agent.gatewayId()).map(found -> found.orElseThrow(() ->
        ApiError.notFound("gateway_not_found", "gateway " + agent.gatewayId() + " does not exist").exception()));
  }

  private void count(String meter, String outcome) {
    Metrics.count(node.meters(), meter, "Provisioner operations by outcome", "outcome", outcome);
  }
}
