package dev.rollcall.core.bus;

import dev.rollcall.core.config.RollcallConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * The one way to send the provisioner's commands ({@link ProvisionerMessages}), from any node. It owns
 * the send timeout: a wake answers only after its gateway call (and, when that fails, after recording
 * the failure), so the usual bus timeout is extended by twice the gateway's timeout, the margin the
 * operator API has always given. Every command is idempotent or guarded (single flight, expected
 * version), so a caller whose send timed out may send it again.
 */
public final class ProvisionerClient {
  private final Vertx vertx;
  private final DeliveryOptions options;

  public ProvisionerClient(Vertx vertx, RollcallConfig config) {
    this.vertx = vertx;
    this.options = new DeliveryOptions().setSendTimeout(
        config.busTimeout().plus(config.gatewayTimeout().multipliedBy(2)).toMillis());
  }

  /** Replies with the operation: the epoch of the attempt, joined or started. */
  public Future<ProvisionerMessages.Operation> provision(ProvisionerMessages.Provision command) {
    return send(Addresses.PROVISIONER_PROVISION, command.toJson()).map(ProvisionerMessages.Operation::fromJson);
  }

  /** Replies {@code {"agent", "wakeDelivered", "error"?}}, the operator API's answer as it is. */
  public Future<JsonObject> wake(ProvisionerMessages.Wake command) {
    return send(Addresses.PROVISIONER_WAKE, command.toJson());
  }

  /** Replies {@code {"agent", "operation"}}. */
  public Future<JsonObject> createAgent(ProvisionerMessages.CreateAgent command) {
    return send(Addresses.PROVISIONER_CREATE_AGENT, command.toJson());
  }

  /** Replies with the tombstoned agent record. */
  public Future<JsonObject> deleteAgent(ProvisionerMessages.DeleteAgent command) {
    return send(Addresses.PROVISIONER_DELETE_AGENT, command.toJson());
  }

  private Future<JsonObject> send(String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body, options).map(Message::body);
  }
}
