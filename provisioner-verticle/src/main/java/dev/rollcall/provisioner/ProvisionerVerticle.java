package dev.rollcall.provisioner;

import dev.rollcall.core.persistence.TaskRecord;
import dev.rollcall.core.persistence.TaskRepository;
import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.bus.Commands;
import dev.rollcall.core.bus.ProvisionerMessages;
import dev.rollcall.core.gateway.GatewayClient;
import dev.rollcall.core.http.RequestInputs;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.util.OnContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;

/**
 * The provisioner: provision, wake and delete commands on the bus (see {@link Addresses}), clean-up of
 * stale instances, and this node's task dispatcher. Any number of nodes may run it at once: single
 * flight and dispatch are decided by conditional updates in PostgreSQL, not by this verticle.
 */
public final class ProvisionerVerticle extends VerticleBase {
  private final NodeContext node;
  private GatewayClient gateway;
  private Dispatcher dispatcher;

  public ProvisionerVerticle(NodeContext node) {
    this.node = node;
  }

  @Override
  public Future<?> start() {
    gateway = new GatewayClient(vertx, node.config().gatewayTimeout());
    TaskRepository tasks = new TaskRepository(node.pool(), node.clock(), node.agentRepository());
    Provisioning provisioning = new Provisioning(node, gateway, tasks);
    dispatcher = new Dispatcher(node, tasks, gateway);
    vertx.setPeriodic(node.config().dispatchInterval().toMillis(), id -> dispatcher.pass());
    vertx.eventBus().<JsonObject>consumer(Addresses.TASK_QUEUED, msg -> dispatcher.pass());
    vertx.eventBus().<JsonObject>consumer(Addresses.AGENT_STALE_INSTANCE, msg -> {
      UUID agentId = RequestInputs.uuid(msg.body().getString("agentId"), "agentId");
      provisioning.staleInstanceReported(agentId, msg.body().getLong("provisionEpoch"));
    });
    return Future.all(List.of(
        Commands.consume(vertx, Addresses.PROVISIONER_PROVISION, body -> provisioning
            .provision(ProvisionerMessages.Provision.fromJson(body)).map(ProvisionerMessages.Operation::toJson)),
        Commands.consume(vertx, Addresses.PROVISIONER_WAKE, body -> provisioning.wake(ProvisionerMessages.Wake.fromJson(body))),
        Commands.consume(vertx, Addresses.PROVISIONER_CREATE_AGENT, body -> {
          ProvisionerMessages.CreateAgent command = ProvisionerMessages.CreateAgent.fromJson(body);
          return node.agentRepository().create(command.gatewayId(), command.name(), command.templateVersion())
              .map(created -> new JsonObject().put("agent", created.toJson())
                  .put("operation", provisioning.provisionCreated(created).toJson()));
        }),
        Commands.consume(vertx, Addresses.PROVISIONER_DELETE_AGENT, body -> provisioning
            .delete(ProvisionerMessages.DeleteAgent.fromJson(body).agentId()).map(deleted -> deleted.toJson()))));
  }

  /**
   * A dispatch pass that starts now, or right after the one under way, from any thread; completes when
   * it has finished. For tests, which move the clock past a claim, window or cool-down and then drive
   * the dispatcher once, instead of waiting for the periodic timer (which keeps running).
   */
  Future<Void> dispatchPassNow() {
    return OnContext.run(context, dispatcher::passNow);
  }

  @Override
  public Future<?> stop() {
    // The pass under way still calls gateways and PostgreSQL: the client closes after it.
    return dispatcher.stop().onComplete(v -> gateway.close());
  }
}
