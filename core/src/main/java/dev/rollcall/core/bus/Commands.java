package dev.rollcall.core.bus;

import dev.rollcall.core.http.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/** Registers the consumer of a command address (see {@link Addresses}) the same way for every verticle. */
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
}
