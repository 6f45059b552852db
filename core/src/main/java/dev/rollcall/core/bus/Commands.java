package dev.rollcall.core.bus;

import dev.rollcall.core.http.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/**
 * Registers the consumer of a command address (see {@link Addresses}) the same way for every verticle,
 * and sends read-only queries to this node's own consumer first.
 */
public final class Commands {
  private Commands() {
  }

  /**
   * A consumer that never throws: a body it cannot read is answered 400 {@code malformed_message}, every
   * failure is answered with its code and ApiError JSON ({@link Failure}). Completes once registered.
   */
  public static Future<Void> consume(Vertx vertx, String address, Function<JsonObject, Future<JsonObject>> handler) {
    return vertx.eventBus().<JsonObject>consumer(address, (Message<JsonObject> msg) -> {
      Future<JsonObject> answer;
      try {
        answer = handler.apply(msg.body());
      } catch (RuntimeException malformed) {
        answer = Future.failedFuture(ApiError.badRequest("malformed_message", "malformed " + address + " body").exception());
      }
      answer.onSuccess(msg::reply).onFailure(e -> msg.fail(Failure.codeOf(e), Failure.messageOf(e)));
    }).completion();
  }

  /**
   * A request answered by this node's consumer when it has one, else by any node's. For queries on an
   * agent's hot path (credential verification): in a cluster, a node that runs the consumer itself never
   * waits on another node, so a lost node (until the cluster drops it, its consumers still get their
   * round-robin share and time out) cannot fail this node's agents. The request goes to the cluster
   * only when the local attempt failed at once with NO_HANDLERS, that is when it was never delivered,
   * so it is never handled twice.
   */
  public static Future<Message<JsonObject>> requestLocalFirst(Vertx vertx, String address, JsonObject body, DeliveryOptions options) {
    DeliveryOptions local = new DeliveryOptions(options).setLocalOnly(true);
    return vertx.eventBus().<JsonObject>request(address, body, local).recover(e ->
        e instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS
            ? vertx.eventBus().<JsonObject>request(address, body, options)
            : Future.failedFuture(e));
  }
}
