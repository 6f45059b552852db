package dev.rollcall.core.persistence;

import dev.rollcall.core.lifecycle.LifecycleStatus;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.UUID;

/** One row of {@code agents}, as read: the input of every lifecycle decision. */
public record AgentRecord(
    UUID id,
    UUID gatewayId,
    String name,
    LifecycleStatus status,
    String statusReason,
    Instant statusChangedAt,
    long version,
    long provisionEpoch,
    int wakeAttempts,
    Instant checkinDeadline,
    Instant lastSeenAt,
    Instant suspectSince,
    Instant registeredAt,
    String lastProvisionError,
    Integer templateVersion,
    boolean needsRebootstrap,
    boolean needsTemplateSync,
    Instant recoveryAt,
    int recoveryProbes,
    Instant wokenAt,
    Instant createdAt,
    Instant updatedAt) {

  static AgentRecord fromRow(Row row) {
    return new AgentRecord(
        row.getUUID("id"),
        row.getUUID("gateway_id"),
        row.getString("name"),
        LifecycleStatus.fromWire(row.getString("lifecycle_status"))
            .orElseThrow(() -> new IllegalStateException("unknown lifecycle_status in database: " + row.getString("lifecycle_status"))),
        row.getString("status_reason"),
        instant(row.getOffsetDateTime("status_changed_at")),
        row.getLong("version"),
        row.getLong("provision_epoch"),
        row.getInteger("wake_attempts"),
        instant(row.getOffsetDateTime("checkin_deadline")),
        instant(row.getOffsetDateTime("last_seen_at")),
        instant(row.getOffsetDateTime("suspect_since")),
        instant(row.getOffsetDateTime("registered_at")),
        row.getString("last_provision_error"),
        row.getInteger("template_version"),
        row.getBoolean("needs_rebootstrap"),
        row.getBoolean("needs_template_sync"),
        instant(row.getOffsetDateTime("recovery_at")),
        row.getInteger("recovery_probes"),
        instant(row.getOffsetDateTime("woken_at")),
        instant(row.getOffsetDateTime("created_at")),
        instant(row.getOffsetDateTime("updated_at")));
  }

  /** The operator API's view: every lifecycle field, timestamps in ISO-8601 UTC, nulls omitted. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("id", id.toString())
        .put("gatewayId", gatewayId.toString())
        .put("name", name)
        .put("lifecycleStatus", status.wireName())
        .put("version", version)
        .put("provisionEpoch", provisionEpoch)
        .put("wakeAttempts", wakeAttempts)
        .put("needsRebootstrap", needsRebootstrap)
        .put("needsTemplateSync", needsTemplateSync)
        .put("recoveryProbes", recoveryProbes);
    putField(json, "statusReason", statusReason);
    putField(json, "statusChangedAt", statusChangedAt);
    putField(json, "checkinDeadline", checkinDeadline);
    putField(json, "lastSeenAt", lastSeenAt);
    putField(json, "suspectSince", suspectSince);
    putField(json, "registeredAt", registeredAt);
    putField(json, "lastProvisionError", lastProvisionError);
    putField(json, "templateVersion", templateVersion);
    putField(json, "recoveryAt", recoveryAt);
    putField(json, "wokenAt", wokenAt);
    putField(json, "createdAt", createdAt);
    putField(json, "updatedAt", updatedAt);
    return json;
  }

  /** Every field is present, null when unset: an operator sees that last_provision_error is empty, not missing. */
  private static void putField(JsonObject json, String key, Object value) {
    json.put(key, value instanceof Instant instant ? instant.toString() : value);
  }

  static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }
}
