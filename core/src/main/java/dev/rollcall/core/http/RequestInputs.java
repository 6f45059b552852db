package dev.rollcall.core.http;

import dev.rollcall.core.util.Uuids;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * Validation of what a request carries, failing with a 4xx {@link ApiException} before anything is
 * read from or written to a store.
 */
public final class RequestInputs {
  private RequestInputs() {
  }

  /** The path parameter {@code name} as a UUID, or 400 {@code invalid_id}. */
  public static UUID uuidParam(RoutingContext rc, String name) {
    return uuid(rc.pathParam(name), name);
  }

  public static UUID uuid(String text, String what) {
    UUID id = Uuids.parseCanonical(text);
    if (id == null) {
      throw ApiError.badRequest("invalid_id", what + " must be a UUID").exception();
    }
    return id;
  }

  /** The body as a JSON object, or 400 {@code malformed_json} / {@code body_required}. */
  public static JsonObject jsonBody(RoutingContext rc) {
    RequestBody body = rc.body();
    if (body == null || body.length() <= 0) {
      throw ApiError.badRequest("body_required", "a JSON object body is required").exception();
    }
    try {
      JsonObject json = body.asJsonObject();
      if (json == null) {
        throw ApiError.badRequest("body_required", "a JSON object body is required").exception();
      }
      return json;
    } catch (DecodeException | ClassCastException e) {
      throw ApiError.badRequest("malformed_json", "the request body is not a JSON object").exception();
    }
  }

  /** A required string field, trimmed, non-empty, at most {@code maxLength} characters. */
  public static String requiredString(JsonObject json, String field, int maxLength) {
    Object value = json.getValue(field);
    if (!(value instanceof String text) || text.isBlank()) {
      throw ApiError.badRequest("missing_field", "field '" + field + "' is required and must be a non-empty string").exception();
    }
    String trimmed = text.strip();
    if (trimmed.length() > maxLength) {
      throw ApiError.badRequest("field_too_long", "field '" + field + "' exceeds " + maxLength + " characters").exception();
    }
    return trimmed;
  }

  /** An optional integer field in {@code [min, max]}; {@code fallback} when absent or null. */
  public static int optionalInt(JsonObject json, String field, int min, int max, int fallback) {
    Object value = json.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Integer n) || n < min || n > max) {
      throw ApiError.badRequest("invalid_field", "field '" + field + "' must be an integer from " + min + " to " + max).exception();
    }
    return n;
  }

  /** An optional query parameter as an integer in {@code [min, max]}; {@code fallback} when absent. */
  public static int queryInt(RoutingContext rc, String name, int min, int max, int fallback) {
    String text = rc.queryParams().get(name);
    if (text == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(text);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiError.badRequest("invalid_query", "query parameter '" + name + "' must be an integer from " + min + " to " + max).exception();
  }

  /** An optional UUID query parameter; null when absent. */
  public static UUID queryUuid(RoutingContext rc, String name) {
    String text = rc.queryParams().get(name);
    if (text == null) {
      return null;
    }
    UUID id = Uuids.parseCanonical(text);
    if (id == null) {
      throw ApiError.badRequest("invalid_query", "query parameter '" + name + "' must be a UUID").exception();
    }
    return id;
  }
}
