package dev.rollcall.core.persistence;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.util.UUID;

/** One row of {@code lifecycle_events}: what happened to an agent, when, and from/to which status. */
public record LifecycleEventRecord(long id, UUID agentId, Instant at, String name, String fromStatus,
                                   String toStatus, Long agentVersion, Long provisionEpoch, JsonObject detail) {

  static LifecycleEventRecord fromRow(Row row) {
    Object detail = row.getValue("detail");
    return new LifecycleEventRecord(
        row.getLong("id"),
        row.getUUID("agent_id"),
        AgentRecord.instant(row.getOffsetDateTime("at")),
        row.getString("name"),
        row.getString("from_status"),
        row.getString("to_status"),
        row.getLong("agent_version"),
        row.getLong("provision_epoch"),
        detail instanceof JsonObject json ? json : new JsonObject());
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("id", id)
        .put("agentId", agentId.toString())
        .put("at", at.toString())
        .put("name", name)
        .put("detail", detail);
    if (fromStatus != null) {
      json.put("from", fromStatus);
    }
    if (toStatus != null) {
      json.put("to", toStatus);
    }
    if (agentVersion != null) {
      json.put("agentVersion", agentVersion);
    }
    if (provisionEpoch != null) {
      json.put("provisionEpoch", provisionEpoch);
    }
    return json;
  }
}
