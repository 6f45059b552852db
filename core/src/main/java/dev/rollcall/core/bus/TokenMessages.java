package dev.rollcall.core.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/** Bodies of the token-verticle's addresses (see {@link Addresses}). Secrets are never in toString. */
public final class TokenMessages {
  private TokenMessages() {
  }

  /** {@link Addresses#TOKEN_ISSUE_TICKET}: a ticket for the agent's current provision attempt. */
  public record IssueTicket(UUID agentId, long provisionEpoch) {
    public JsonObject toJson() {
      return new JsonObject().put("agentId", agentId.toString()).put("provisionEpoch", provisionEpoch);
    }

    public static IssueTicket fromJson(JsonObject json) {
      return new IssueTicket(UUID.fromString(json.getString("agentId")), json.getLong("provisionEpoch"));
    }
  }

  /** Reply to {@link IssueTicket}. {@code ticket} is the one-time {@code id.secret}. */
  public record TicketIssued(UUID ticketId, String ticket, UUID agentId, long provisionEpoch, Instant expiresAt) {
    public JsonObject toJson() {
      return new JsonObject().put("ticketId", ticketId.toString()).put("ticket", ticket)
          .put("agentId", agentId.toString()).put("provisionEpoch", provisionEpoch).put("expiresAt", expiresAt.toString());
    }

    public static TicketIssued fromJson(JsonObject json) {
      return new TicketIssued(UUID.fromString(json.getString("ticketId")), json.getString("ticket"),
          UUID.fromString(json.getString("agentId")), json.getLong("provisionEpoch"), Instant.parse(json.getString("expiresAt")));
    }

    @Override
    public String toString() {
      return "TicketIssued[" + ticketId + " for " + agentId + "@" + provisionEpoch + "]";
    }
  }

  /** {@link Addresses#TOKEN_REGISTER}: redeem a ticket; {@code source} is the caller's address, for limits. */
  public record Register(UUID agentId, String ticket, String instanceId, String source) {
    public JsonObject toJson() {
      return new JsonObject().put("agentId", agentId.toString()).put("ticket", ticket)
          .put("instanceId", instanceId).put("source", source);
    }

    public static Register fromJson(JsonObject json) {
      return new Register(UUID.fromString(json.getString("agentId")), json.getString("ticket"),
          json.getString("instanceId"), json.getString("source"));
    }

    @Override
    public String toString() {
      return "Register[" + agentId + " instance " + instanceId + "]";
    }
  }

  /** Reply to {@link Register}: the credential, shown this once. */
  public record Registered(UUID agentId, UUID credentialId, String credential, long provisionEpoch,
                           String lifecycleStatus, Instant expiresAt, long heartbeatIntervalMs) {
    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("agentId", agentId.toString()).put("credentialId", credentialId.toString())
          .put("credential", credential).put("provisionEpoch", provisionEpoch).put("lifecycleStatus", lifecycleStatus)
          .put("heartbeatIntervalMs", heartbeatIntervalMs);
      if (expiresAt != null) {
        json.put("expiresAt", expiresAt.toString());
      }
      return json;
    }

    public static Registered fromJson(JsonObject json) {
      String expires = json.getString("expiresAt");
      return new Registered(UUID.fromString(json.getString("agentId")), UUID.fromString(json.getString("credentialId")),
          json.getString("credential"), json.getLong("provisionEpoch"), json.getString("lifecycleStatus"),
          expires == null ? null : Instant.parse(expires), json.getLong("heartbeatIntervalMs"));
    }

    @Override
    public String toString() {
      return "Registered[" + agentId + " credential " + credentialId + ".***]";
    }
  }

  /** {@link Addresses#TOKEN_VERIFY}: is this (credential id, secret hash) valid for this agent? */
  public record Verify(UUID agentId, UUID credentialId, byte[] presentedHash) {
    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("agentId", agentId.toString());
      if (credentialId != null) {
        json.put("credentialId", credentialId.toString())
            .put("presentedHash", Base64.getEncoder().encodeToString(presentedHash));
      }
      return json;
    }

    /** No credential presented at all: {@code credentialId} and {@code presentedHash} are null. */
    public static Verify fromJson(JsonObject json) {
      String id = json.getString("credentialId");
      return new Verify(UUID.fromString(json.getString("agentId")), id == null ? null : UUID.fromString(id),
          id == null ? null : Base64.getDecoder().decode(json.getString("presentedHash")));
    }
  }

  /** Reply to {@link Verify}: enough for the caller's cache to verify the next calls locally. */
  public record Verified(UUID agentId, UUID credentialId, long provisionEpoch, byte[] secretHash, Instant expiresAt,
                         boolean firstUsed) {
    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("agentId", agentId.toString()).put("credentialId", credentialId.toString())
          .put("provisionEpoch", provisionEpoch).put("secretHash", Base64.getEncoder().encodeToString(secretHash))
          .put("firstUsed", firstUsed);
      if (expiresAt != null) {
        json.put("expiresAt", expiresAt.toString());
      }
      return json;
    }

    public static Verified fromJson(JsonObject json) {
      String expires = json.getString("expiresAt");
      return new Verified(UUID.fromString(json.getString("agentId")), UUID.fromString(json.getString("credentialId")),
          json.getLong("provisionEpoch"), Base64.getDecoder().decode(json.getString("secretHash")),
          expires == null ? null : Instant.parse(expires), json.getBoolean("firstUsed", false));
    }
  }

  /** {@link Addresses#TOKEN_REVOKED}: these credentials of this agent are no longer valid anywhere. */
  public record Revoked(UUID agentId, List<UUID> credentialIds, String reason) {
    public JsonObject toJson() {
      JsonArray ids = new JsonArray();
      credentialIds.forEach(id -> ids.add(id.toString()));
      return new JsonObject().put("agentId", agentId.toString()).put("credentialIds", ids).put("reason", reason);
    }

    public static Revoked fromJson(JsonObject json) {
      List<UUID> ids = new ArrayList<>();
      json.getJsonArray("credentialIds").forEach(id -> ids.add(UUID.fromString((String) id)));
      return new Revoked(UUID.fromString(json.getString("agentId")), ids, json.getString("reason"));
    }
  }
}
