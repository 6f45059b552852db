package dev.rollcall.core.auth;

import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.node.NodeContext;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * Hands a long-running agent the successor of its credential in an ordinary answer (heartbeat,
 * credential check) once a third of the credential's lifetime is left, so it never meets a 401 gap.
 */
public final class CredentialRenewal {
  private CredentialRenewal() {
  }

  /** The successor {@code {"credential", "credentialId", "expiresAt"}} when due, else null. Never fails. */
  public static Future<JsonObject> successorIfDue(NodeContext node, CredentialVerifier.VerifiedAgent agent) {
    if (agent.expiresAt() == null || node.config().credentialLifetime().isEmpty()) {
      return Future.succeededFuture(null);
    }
    Duration left = Duration.between(node.clock().instant(), agent.expiresAt());
    if (left.compareTo(node.config().credentialLifetime().get().dividedBy(3)) > 0) {
      return Future.succeededFuture(null);
    }
    // On the heartbeat's answer path: this node's own token verticle first (see Commands.requestLocalFirst).
    return dev.rollcall.core.bus.Commands.requestLocalFirst(node.vertx(), Addresses.TOKEN_SUCCESSOR,
            new JsonObject().put("agentId", agent.agentId().toString()).put("credentialId", agent.credentialId().toString()),
            new DeliveryOptions().setSendTimeout(node.config().busTimeout().toMillis()))
        .map(reply -> reply.body().isEmpty() ? null : reply.body())
        // The credential is still valid; the successor can come with the next answer.
        .otherwise((JsonObject) null);
  }
}
