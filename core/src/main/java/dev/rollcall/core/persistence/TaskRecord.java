package dev.rollcall.core.persistence;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.UUID;

/** A row of {@code tasks}. */
public record TaskRecord(UUID id, UUID gatewayId, UUID requestedAgentId, UUID agentId, State state, int attempt, int maxAttempts,
                  Instant notBefore, String lastError, JsonObject payload, JsonObject result, long version,
                  Instant createdAt, Instant updatedAt, Instant deliveredAt, Instant processedAt) {

  static final String COLUMNS = "id, gateway_id, requested_agent_id, agent_id, state, attempt, max_attempts, not_before, "
      + "last_error, payload, result, version, created_at, updated_at, delivered_at, processed_at";

  /**
   * Where a task is. {@code delivered} (the gateway accepted the start) and {@code processed} (the agent
   * acknowledged the result) are different states on purpose: seed 03's "completed" meant the first and
   * was read as the second.
   */
  public enum State {
    QUEUED, DISPATCHED, DELIVERED, PROCESSED, FAILED;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    static State fromWire(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT));
    }

    /** An attempt is live (a report may name it) while its task is dispatched or delivered ({@link TaskTrigger#live()}). */
    boolean attemptLive() {
      return TaskTrigger.live().contains(this);
    }
  }

  static TaskRecord fromRow(Row row) {
    return new TaskRecord(row.getUUID("id"), row.getUUID("gateway_id"), row.getUUID("requested_agent_id"), row.getUUID("agent_id"),
        State.fromWire(row.getString("state")), row.getInteger("attempt"), row.getInteger("max_attempts"),
        instant(row.getOffsetDateTime("not_before")), row.getString("last_error"), json(row.getValue("payload")),
        json(row.getValue("result")), row.getLong("version"), instant(row.getOffsetDateTime("created_at")),
        instant(row.getOffsetDateTime("updated_at")), instant(row.getOffsetDateTime("delivered_at")),
        instant(row.getOffsetDateTime("processed_at")));
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("id", id.toString())
        .put("gatewayId", gatewayId.toString())
        .put("requestedAgentId", requestedAgentId == null ? null : requestedAgentId.toString())
        .put("agentId", agentId == null ? null : agentId.toString())
        .put("state", state.wireName())
        .put("attempt", attempt)
        .put("maxAttempts", maxAttempts)
        .put("notBefore", notBefore.toString())
        .put("lastError", lastError)
        .put("payload", payload)
        .put("result", result)
        .put("createdAt", createdAt.toString())
        .put("updatedAt", updatedAt.toString())
        .put("deliveredAt", deliveredAt == null ? null : deliveredAt.toString())
        .put("processedAt", processedAt == null ? null : processedAt.toString());
    // Spelled out for whoever reads the JSON without this file: seed 03's misreading made impossible.
    json.put("meaning", switch (state) {
      case QUEUED -> "waiting for a ready agent";
      case DISPATCHED -> "attempt " + attempt + " sent to the gateway; not yet accepted";
      case DELIVERED -> "the gateway accepted attempt " + attempt + "; the agent has not acknowledged a result";
      case PROCESSED -> "the agent acknowledged the result of attempt " + attempt;
      case FAILED -> "gave up after " + attempt + " attempts: " + lastError;
    });
    return json;
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  private static JsonObject json(Object value) {
    return value instanceof JsonObject o ? o : null;
  }
}
