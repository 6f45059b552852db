package dev.rollcall.core.bus;

import dev.rollcall.core.http.RequestInputs;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * Bodies of the provisioner's command addresses (see {@link Addresses}), written and read here only, so
 * that the operator API, the reconciler and the provisioner cannot drift apart on a field name. A body
 * that cannot be read fails in {@code fromJson}; {@link Commands#consume} answers it 400
 * {@code malformed_message}. Send them with {@link ProvisionerClient}.
 */
public final class ProvisionerMessages {
  private ProvisionerMessages() {
  }

  /**
   * {@link Addresses#PROVISIONER_PROVISION}: provision or re-provision under single flight.
   *
   * @param source who asked (operator, reconciler: why), recorded on the lifecycle event
   * @param keepWakeBudget the new instance inherits the wake attempts (a re-provision after a lost credential)
   * @param expectedVersion act only on the agent as the caller read it, else 409 agent_changed; null: any
   */
  public record Provision(UUID agentId, String source, boolean keepWakeBudget, Long expectedVersion) {
    public static Provision byOperator(UUID agentId) {
      return new Provision(agentId, "operator", false, null);
    }

    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("agentId", agentId.toString()).put("source", source)
          .put("keepWakeBudget", keepWakeBudget);
      return expectedVersion == null ? json : json.put("expectedVersion", expectedVersion);
    }

    public static Provision fromJson(JsonObject json) {
      return new Provision(RequestInputs.uuid(json.getString("agentId"), "agentId"), json.getString("source", "unknown"),
          json.getBoolean("keepWakeBudget", false), json.getLong("expectedVersion"));
    }
  }

  /**
   * {@link Addresses#PROVISIONER_WAKE}: wake the agent (seed 01 counts the attempt).
   *
   * @param retriggeredBecause the reconciler's reason, recorded as {@code lifecycle.reconcile.retriggered}
   *     in the wake's transaction; null for an operator's wake
   * @param expectedVersion as for {@link Provision}
   */
  public record Wake(UUID agentId, String source, String retriggeredBecause, Long expectedVersion) {
    public static Wake byOperator(UUID agentId) {
      return new Wake(agentId, "operator", null, null);
    }

    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("agentId", agentId.toString()).put("source", source);
      if (retriggeredBecause != null) {
        json.put("retriggeredBecause", retriggeredBecause);
      }
      return expectedVersion == null ? json : json.put("expectedVersion", expectedVersion);
    }

    public static Wake fromJson(JsonObject json) {
      return new Wake(RequestInputs.uuid(json.getString("agentId"), "agentId"), json.getString("source", "unknown"),
          json.getString("retriggeredBecause"), json.getLong("expectedVersion"));
    }
  }

  /** {@link Addresses#PROVISIONER_CREATE_AGENT}: create an agent and provision its first epoch. */
  public record CreateAgent(UUID gatewayId, String name, Integer templateVersion) {
    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("gatewayId", gatewayId.toString()).put("name", name);
      return templateVersion == null ? json : json.put("templateVersion", templateVersion);
    }

    public static CreateAgent fromJson(JsonObject json) {
      return new CreateAgent(RequestInputs.uuid(json.getString("gatewayId"), "gatewayId"), json.getString("name"),
          json.getInteger("templateVersion"));
    }
  }

  /** {@link Addresses#PROVISIONER_DELETE_AGENT}: tombstone the agent. */
  public record DeleteAgent(UUID agentId) {
    public JsonObject toJson() {
      return new JsonObject().put("agentId", agentId.toString());
    }

    public static DeleteAgent fromJson(JsonObject json) {
      return new DeleteAgent(RequestInputs.uuid(json.getString("agentId"), "agentId"));
    }
  }

  /**
   * Reply to {@link Provision} (and part of create-agent's): the attempt, as the caller sees it.
   *
   * @param joined a provision of that epoch was already in flight and this request joined it
   */
  public record Operation(UUID agentId, long provisionEpoch, boolean joined) {
    public JsonObject toJson() {
      return new JsonObject().put("agentId", agentId.toString()).put("provisionEpoch", provisionEpoch).put("joined", joined);
    }

    public static Operation fromJson(JsonObject json) {
      return new Operation(UUID.fromString(json.getString("agentId")), json.getLong("provisionEpoch"), json.getBoolean("joined"));
    }
  }
}
