package dev.rollcall.core.http;

import dev.rollcall.core.bus.Failure;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure on a route into the JSON {@link ApiError} shape: our own errors keep their code,
 * vert.x-web's own 4xx (body too large, bad method) keep their status with a stable code, and anything
 * unexpected becomes an opaque 500 that is logged once, here, at the boundary.
 */
public final class HttpErrors {
  private static final Logger LOG = LoggerFactory.getLogger(HttpErrors.class);

  private HttpErrors() {
  }

  /** Install as {@code router.route().failureHandler(HttpErrors::handleFailure)}. */
  public static void handleFailure(RoutingContext rc) {
    if (rc.response().headWritten()) {
      return;
    }
    Throwable failure = rc.failure();
    ApiError error;
    if (failure instanceof ApiException api) {
      error = api.error();
    } else if (failure instanceof DecodeException) {
      error = ApiError.badRequest("malformed_json", "the request body is not valid JSON");
    } else if (failure instanceof io.vertx.core.eventbus.ReplyException) {
      error = Failure.toApiError(failure);
    } else if (failure instanceof HttpException http) {
      error = fromStatus(http.getStatusCode(), http.getPayload());
    } else if (failure == null) {
      error = fromStatus(rc.statusCode(), null);
    } else {
      LOG.atError().setCause(failure)
          .addKeyValue("method", rc.request().method().name())
          .addKeyValue("path", rc.normalizedPath())
          .log("unhandled failure answered with 500");
      error = ApiError.internal();
    }
    respond(rc, error);
  }

  /**
   * Answers a route with the JSON the future completes with and {@code status}, or with its failure as
   * the ApiError JSON (bus replies included, see {@link Failure#toApiError}).
   */
  public static void answer(RoutingContext rc, int status, Future<JsonObject> answer) {
    answer.onSuccess(json -> rc.response().setStatusCode(status).putHeader("content-type", "application/json").end(json.encode()))
        .onFailure(e -> respond(rc, Failure.toApiError(e)));
  }

  /** Unknown route: JSON 404 rather than vert.x-web's HTML page. */
  public static void notFound(RoutingContext rc) {
    respond(rc, ApiError.notFound("route_not_found", "no route for " + rc.request().method().name() + " " + rc.normalizedPath()));
  }

  public static void respond(RoutingContext rc, ApiError error) {
    respond(rc.response(), error);
  }

  /** The same answer for a request answered outside the router ({@link RouteContributor#answerDirectly}). */
  public static void respond(HttpServerResponse response, ApiError error) {
    response.setStatusCode(error.status()).putHeader("content-type", "application/json");
    if (error.status() == 503 || error.status() == 429) {
      response.putHeader("retry-after", String.valueOf(error.extra().getInteger("retryAfterSeconds", 1)));
    }
    response.end(error.toJson().encode());
  }

  private static ApiError fromStatus(int status, String detail) {
    return switch (status) {
      case 400 -> ApiError.badRequest("bad_request", detail == null ? "the request is malformed" : detail);
      case 401 -> new ApiError(401, "unauthorized", "authentication is required", false);
      case 404 -> ApiError.notFound("not_found", "not found");
      case 405 -> new ApiError(405, "method_not_allowed", "this route does not accept that method", false);
      case 413 -> new ApiError(413, "body_too_large", "the request body exceeds the limit", false);
      case 415 -> new ApiError(415, "unsupported_media_type", "send application/json", false);
      default -> status >= 400 && status < 500
          ? new ApiError(status, "bad_request", detail == null ? "the request was refused" : detail, false)
          : ApiError.internal();
    };
  }
}
