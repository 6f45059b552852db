package dev.rollcall.core.bus;

import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.http.ApiException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * Failure codes for {@code Message.fail(code, message)}: explicit numbers aligned with HTTP statuses,
 * never enum ordinals (they change when someone reorders an enum, and a cluster runs mixed versions
 * during a rolling upgrade). The failure message is the {@link ApiError} JSON, so the HTTP edge can
 * hand the caller the same {@code error} code the consumer chose.
 */
public final class Failure {
  public static final int BAD_REQUEST = 400;
  public static final int UNAUTHORIZED = 401;
  public static final int FORBIDDEN = 403;
  public static final int NOT_FOUND = 404;
  public static final int CONFLICT = 409;
  public static final int GONE = 410;
  public static final int TOO_MANY_REQUESTS = 429;
  public static final int INTERNAL = 500;
  public static final int UNAVAILABLE = 503;

  private Failure() {
  }

  /** The code a consumer fails a message with for {@code error}. */
  public static int codeOf(Throwable error) {
    if (error instanceof ApiException api) {
      return api.error().status();
    }
    return INTERNAL;
  }

  /** The failure message a consumer sends for {@code error}: the ApiError JSON. */
  public static String messageOf(Throwable error) {
    return ApiError.of(error).toJson().encode();
  }

  /**
   * What a failed request means for the caller, as an {@link ApiError}: the consumer's own error for a
   * recipient failure; 503 {@code bus_unavailable} (retryable) when nobody answered in time.
   */
  public static ApiError toApiError(Throwable error) {
    if (error instanceof ReplyException reply) {
      if (reply.failureType() == ReplyFailure.TIMEOUT || reply.failureType() == ReplyFailure.NO_HANDLERS) {
        return ApiError.unavailable("bus_unavailable",
            "no Rollcall node answered in time (" + reply.failureType().name().toLowerCase() + ")");
      }
      String message = reply.getMessage();
      if (message != null && message.startsWith("{")) {
        try {
          return ApiError.fromJson(new JsonObject(message), reply.failureCode());
        } catch (DecodeException | IllegalArgumentException notOurs) {
          // fall through: a consumer outside our contract failed with free text
        }
      }
      int status = reply.failureCode() >= 400 && reply.failureCode() < 600 ? reply.failureCode() : INTERNAL;
      return new ApiError(status, status >= 500 ? "internal" : "request_failed", String.valueOf(message), status >= 500);
    }
    return ApiError.of(error);
  }
}
