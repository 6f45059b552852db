package dev.rollcall.core.bus;

import dev.rollcall.core.lifecycle.LifecycleStatus;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/** Body of {@link Addresses#AGENT_TRANSITIONED}. */
public record AgentTransitioned(UUID agentId, UUID gatewayId, LifecycleStatus from, LifecycleStatus to,
                                String event, long version, long provisionEpoch) {
  public static final String AGENT_ID = "agentId";
  public static final String GATEWAY_ID = "gatewayId";
  public static final String FROM = "from";
  public static final String TO = "to";
  public static final String EVENT = "event";
  public static final String VERSION = "version";
  public static final String PROVISION_EPOCH = "provisionEpoch";

  public JsonObject toJson() {
    return new JsonObject()
        .put(AGENT_ID, agentId.toString())
        .put(GATEWAY_ID, gatewayId.toString())
        .put(FROM, from.wireName())
        .put(TO, to.wireName())
        .put(EVENT, event)
        .put(VERSION, version)
        .put(PROVISION_EPOCH, provisionEpoch);
  }

  public static AgentTransitioned fromJson(JsonObject json) {
    return new AgentTransitioned(
        UUID.fromString(json.getString(AGENT_ID)),
        UUID.fromString(json.getString(GATEWAY_ID)),
        status(json.getString(FROM)),
        status(json.getString(TO)),
        json.getString(EVENT),
        json.getLong(VERSION),
        json.getLong(PROVISION_EPOCH));
  }

  private static LifecycleStatus status(String wire) {
    return LifecycleStatus.fromWire(wire).orElseThrow(() -> new IllegalArgumentException("unknown lifecycle status " + wire));
  }
}
