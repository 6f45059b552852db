package dev.rollcall.core.persistence;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.util.UUID;

/** One row of {@code gateways}: a host or runtime that starts and stops agent processes. */
public record GatewayRecord(UUID id, String name, String baseUrl, int templateVersion, long version,
                            Instant createdAt, Instant updatedAt) {

  static GatewayRecord fromRow(Row row) {
    return new GatewayRecord(row.getUUID("id"), row.getString("name"), row.getString("base_url"),
        row.getInteger("template_version"), row.getLong("version"),
        AgentRecord.instant(row.getOffsetDateTime("created_at")), AgentRecord.instant(row.getOffsetDateTime("updated_at")));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("name", name)
        .put("baseUrl", baseUrl)
        .put("templateVersion", templateVersion)
        .put("version", version)
        .put("createdAt", createdAt.toString())
        .put("updatedAt", updatedAt.toString());
  }
}
