package dev.rollcall.core.http;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * The one error shape of every Rollcall API: {@code {"error": "<stable code>", "message": "<human
 * text>", "retryable": <bool>}} with an HTTP status. Clients branch on {@code error} and
 * {@code retryable}, never on the message. Optional extra fields (for example {@code recovery}) ride
 * along in {@link #extra()}.
 */
public record ApiError(int status, String error, String message, boolean retryable, JsonObject extra) {
  public static final String ERROR = "error";
  public static final String MESSAGE = "message";
  public static final String RETRYABLE = "retryable";
  public static final String STATUS = "status";

  public ApiError {
    Objects.requireNonNull(error, "error");
    Objects.requireNonNull(message, "message");
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("an API error needs a 4xx or 5xx status, got " + status);
    }
    extra = extra == null ? new JsonObject() : extra;
  }

  public ApiError(int status, String error, String message, boolean retryable) {
    this(status, error, message, retryable, null);
  }

  public static ApiError badRequest(String error, String message) {
    return new ApiError(400, error, message, false);
  }

  public static ApiError notFound(String error, String message) {
    return new ApiError(404, error, message, false);
  }

  public static ApiError conflict(String error, String message, boolean retryable) {
    return new ApiError(409, error, message, retryable);
  }

  public static ApiError unavailable(String error, String message) {
    return new ApiError(503, error, message, true);
  }

  public static ApiError internal() {
    return new ApiError(500, "internal", "an internal error occurred; it has been logged", true);
  }

  public ApiError with(String key, Object value) {
    return new ApiError(status, error, message, retryable, extra.copy().put(key, value));
  }

  public ApiException exception() {
    return new ApiException(this);
  }

  /** The response body (the status travels as the HTTP status, and inside bus failures). */
  public JsonObject toJson() {
    JsonObject json = extra.copy();
    json.put(ERROR, error).put(MESSAGE, message).put(RETRYABLE, retryable);
    return json;
  }

  public static ApiError fromJson(JsonObject json, int status) {
    JsonObject extra = json.copy();
    extra.remove(ERROR);
    extra.remove(MESSAGE);
    extra.remove(RETRYABLE);
    return new ApiError(status, json.getString(ERROR), json.getString(MESSAGE, ""), json.getBoolean(RETRYABLE, false), extra);
  }

  /** The error to answer for any throwable: its own if it is ours, otherwise an opaque 500. */
  public static ApiError of(Throwable failure) {
    if (failure instanceof ApiException api) {
      return api.error();
    }
    return internal();
  }
}
