package dev.rollcall.token;

import dev.rollcall.core.auth.CredentialRenewal;
import dev.rollcall.core.auth.CredentialVerifier;
import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.bus.Failure;
import dev.rollcall.core.bus.StaleInstances;
import dev.rollcall.core.bus.TokenMessages;
import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.http.HttpErrors;
import dev.rollcall.core.http.RequestInputs;
import dev.rollcall.core.http.RouteContributor;
import dev.rollcall.core.node.NodeContext;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * The agent API of the token context:
 * <ul>
 *   <li>{@code POST /api/v1/agents/{agentId}/register} {@code {"ticket", "instanceId"}} redeems the
 *       bootstrap ticket for a credential, returned once;</li>
 *   <li>{@code GET /api/v1/agents/{agentId}/credential} with {@code X-Agent-Token}: what the control plane
 *       knows of the caller's credential (the cheapest authenticated call an agent can make).</li>
 * </ul>
 * Register goes over the bus to a token-verticle on any node; verification uses the local cache.
 */
final class TokenRoutes implements RouteContributor {
  private final NodeContext node;
  private final CredentialVerifier verifier;
  private final DeliveryOptions bus;

  TokenRoutes(NodeContext node, CredentialVerifier verifier) {
    this.node = node;
    this.verifier = verifier;
    this.bus = new DeliveryOptions().setSendTimeout(node.config().busTimeout().toMillis());
  }

  @Override
  public void mountAgentRoutes(Router router) {
    router.post("/api/v1/agents/:agentId/register").handler(this::register);
    router.get("/api/v1/agents/:agentId/credential").handler(this::credential);
  }

  @Override
  public void mountOperatorRoutes(Router router) {
    router.post("/api/v1/gateways/:gatewayId/templates/sync").handler(this::syncTemplates);
  }

  /** Seed 01's path: {@code ?rotate_tokens=true} also issues the gateway's agents new credentials. */
  private void syncTemplates(RoutingContext rc) {
    UUID gatewayId = RequestInputs.uuidParam(rc, "gatewayId");
    String rotate = rc.queryParams().get("rotate_tokens");
    if (rotate != null && !rotate.equals("true") && !rotate.equals("false")) {
      throw ApiError.badRequest("invalid_query", "rotate_tokens must be true or false").exception();
    }
    // The sync retries the gateway itself; give it room beyond the usual bus timeout.
    DeliveryOptions longer = new DeliveryOptions().setSendTimeout(node.config().gatewayTimeout().multipliedBy(4).toMillis());
    HttpErrors.answer(rc, 200, node.vertx().eventBus().<JsonObject>request(Addresses.TOKEN_SYNC_TEMPLATES,
            new JsonObject().put("gatewayId", gatewayId.toString()).put("rotateTokens", "true".equals(rotate)), longer)
        .map(reply -> reply.body()));
  }

  private void register(RoutingContext rc) {
    UUID agentId = RequestInputs.uuidParam(rc, "agentId");
    JsonObject body = RequestInputs.jsonBody(rc);
    String ticket = RequestInputs.requiredString(body, "ticket", 100);
    String instanceId = RequestInputs.requiredString(body, "instanceId", 128);
    String source = rc.request().remoteAddress() == null ? "unknown" : rc.request().remoteAddress().hostAddress();
    node.vertx().eventBus().<JsonObject>request(Addresses.TOKEN_REGISTER,
            new TokenMessages.Register(agentId, ticket, instanceId, source).toJson(), bus)
        .onSuccess(reply -> rc.response().putHeader("cache-control", "no-store").putHeader("content-type", "application/json")
            .end(reply.body().encode()))
        .onFailure(e -> {
          // Seed 03: an instance of a superseded attempt is alive; the provisioner has it deprovisioned.
          StaleInstances.publishIfStale(node.vertx(), agentId.toString(), e);
          HttpErrors.respond(rc, Failure.toApiError(e));
        });
  }

  private void credential(RoutingContext rc) {
    UUID agentId = RequestInputs.uuidParam(rc, "agentId");
    verifier.verify(rc.request().getHeader(CredentialVerifier.HEADER), agentId)
        .onSuccess(agent -> {
          JsonObject json = new JsonObject().put("agentId", agent.agentId().toString())
              .put("credentialId", agent.credentialId().toString()).put("provisionEpoch", agent.provisionEpoch());
          if (agent.expiresAt() != null) {
            json.put("expiresAt", agent.expiresAt().toString());
          }
          CredentialRenewal.successorIfDue(node, agent).onComplete(ar -> {
            if (ar.result() != null) {
              json.put("successor", ar.result());
              rc.response().putHeader("cache-control", "no-store");
            }
            rc.json(json);
          });
        })
        .onFailure(rc::fail);
  }
}
