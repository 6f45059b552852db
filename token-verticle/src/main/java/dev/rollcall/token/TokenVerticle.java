package dev.rollcall.token;

import dev.rollcall.core.metrics.Metrics;
import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.bus.Commands;
import dev.rollcall.core.bus.Failure;
import dev.rollcall.core.bus.StaleInstances;
import dev.rollcall.core.bus.TokenMessages;
import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.gateway.GatewayClient;
import dev.rollcall.core.node.NodeContext;
import dev.rollcall.core.persistence.GatewayRepository;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import java.util.function.Function;

/**
 * Owns bootstrap tickets and agent credentials: answers the {@code rollcall.token.*} commands and
 * publishes {@code rollcall.token.revoked}. Any number of instances on any number of nodes may run;
 * PostgreSQL row locks and conditional updates keep them correct.
 */
public final class TokenVerticle extends VerticleBase {
  private final NodeContext node;
  private TokenService service;
  private GatewayClient gatewayClient;

  public TokenVerticle(NodeContext node) {
    this.node = node;
  }

  @Override
  public Future<?> start() {
    RegisterLimiter limiter = new RegisterLimiter(node.redisApi(), node.clock(),
        node.config().registerLimitPerAgent(), node.config().registerLimitPerSource());
    service = new TokenService(node.pool(), node.agentRepository(), limiter, node.clock(), node.config(),
        revoked -> vertx.eventBus().publish(Addresses.TOKEN_REVOKED, revoked.toJson()),
        (ms, task) -> vertx.setTimer(ms, id -> task.run()));
    gatewayClient = new GatewayClient(vertx, node.config().gatewayTimeout());
    GatewayRepository gateways = node.gatewayRepository();
    return Future.all(java.util.List.of(
        consume(Addresses.TOKEN_ISSUE_TICKET, body -> service.issueTicket(TokenMessages.IssueTicket.fromJson(body))
            .map(TokenMessages.TicketIssued::toJson)),
        consume(Addresses.TOKEN_REGISTER, body -> counted("rollcall.token.registrations", "Register answers by outcome",
            service.register(TokenMessages.Register.fromJson(body)).map(TokenMessages.Registered::toJson))),
        consume(Addresses.TOKEN_VERIFY, body -> counted("rollcall.token.verifications",
            "Credential-cache misses answered by the token-verticle, by outcome",
            service.verify(TokenMessages.Verify.fromJson(body)).map(TokenMessages.Verified::toJson)
                .onFailure(e -> StaleInstances.publishIfStale(vertx, body.getString("agentId"), e)))),
        consume(Addresses.TOKEN_USED, body -> service.markUsed(UUID.fromString(body.getString("credentialId")))
            .map(v -> new JsonObject())),
        consume(Addresses.TOKEN_REVOKE_AGENT, body -> service.revokeAgent(UUID.fromString(body.getString("agentId")),
            body.getString("reason", "revoked")).map(n -> new JsonObject().put("revoked", n))),
        consume(Addresses.TOKEN_SUCCESSOR, body -> service.successor(UUID.fromString(body.getString("agentId")),
            UUID.fromString(body.getString("credentialId")))),
        consume(Addresses.TOKEN_SYNC_TEMPLATES, body -> service.syncTemplates(UUID.fromString(body.getString("gatewayId")),
            body.getBoolean("rotateTokens", false), gateways::find, gatewayClient::syncTemplates))));
  }

  /** Counts an answer by outcome: {@code ok} or its stable error code (a small fixed set). */
  private Future<JsonObject> counted(String meter, String description, Future<JsonObject> answer) {
    return answer.onComplete(ar -> Metrics.count(node.meters(), meter, description,
        "outcome", ar.succeeded() ? "ok" : ApiError.of(ar.cause()).error()));
  }

  private Future<Void> consume(String address, Function<JsonObject, Future<JsonObject>> handler) {
    return Commands.consume(vertx, address, handler);
  }
}
