package dev.rollcall.heartbeat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** What an agent says about itself in a heartbeat, validated. */
record HeartbeatReport(Reported status, Integer templateVersion, JsonObject detail) {
  // The body is read with Jackson's streaming parser rather than into a JsonObject: this runs on every
  // heartbeat, and building a map for three fields costs more than the rest of the request.
  private static final JsonFactory JSON = new JsonFactory();

  /** The statuses an agent may report, and the lifecycle trigger each one is. */
  enum Reported {
    STARTING(LifecycleTrigger.REPORTED_STARTING),
    READY(LifecycleTrigger.REPORTED_READY),
    BUSY(LifecycleTrigger.REPORTED_BUSY),
    DEGRADED(LifecycleTrigger.REPORTED_DEGRADED),
    STOPPING(LifecycleTrigger.REPORTED_STOPPING);

    private static final Map<String, Reported> BY_WIRE_NAME =
        Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(Reported::wireName, Function.identity()));

    final LifecycleTrigger trigger;

    Reported(LifecycleTrigger trigger) {
      this.trigger = trigger;
    }

    String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    static String allowed() {
      return Arrays.stream(values()).map(Reported::wireName).collect(Collectors.joining(", "));
    }
  }

  /** Reads and validates a heartbeat body: 400 with a clear code for anything else. */
  static HeartbeatReport parse(Buffer body) {
    if (body == null || body.length() == 0) {
      throw ApiError.badRequest("body_required", "a JSON object body is required").exception();
    }
    byte[] bytes = body.getBytes();
    Object status = null;
    Integer templateVersion = null;
    JsonObject detail = null;
    try (JsonParser p = JSON.createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw malformed();
      }
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "status" -> {
            status = value == JsonToken.VALUE_STRING ? p.getText() : null;
            p.skipChildren();
          }
          case "templateVersion" -> templateVersion = templateVersion(p, value);
          case "detail" -> detail = detail(p, value, bytes);
          default -> p.skipChildren();
        }
      }
      if (p.nextToken() != null) {
        throw malformed();
      }
    } catch (IOException | DecodeException e) {
      throw malformed();
    }
    if (!(status instanceof String text)) {
      throw ApiError.badRequest("missing_field", "field 'status' is required: one of " + Reported.allowed()).exception();
    }
    Reported reported = Reported.BY_WIRE_NAME.get(text);
    if (reported == null) {
      throw ApiError.badRequest("invalid_status", "status must be one of " + Reported.allowed()).exception();
    }
    return new HeartbeatReport(reported, templateVersion, detail);
  }

  private static Integer templateVersion(JsonParser p, JsonToken value) throws IOException {
    if (value == JsonToken.VALUE_NULL) {
      return null;
    }
    try {
      if (value == JsonToken.VALUE_NUMBER_INT && p.getIntValue() >= 1) {
        return p.getIntValue();
      }
    } catch (InputCoercionException tooLarge) {
      // falls through to the same answer as any other bad version
    }
    throw ApiError.badRequest("invalid_template_version", "templateVersion must be an integer >= 1").exception();
  }

  /** Detail is free-form and rare: its bytes are sliced out and read as a JsonObject. */
  private static JsonObject detail(JsonParser p, JsonToken value, byte[] bytes) throws IOException {
    if (value == JsonToken.VALUE_NULL) {
      return null;
    }
    if (value != JsonToken.START_OBJECT) {
      throw ApiError.badRequest("invalid_detail", "detail must be a JSON object").exception();
    }
    int start = (int) p.currentTokenLocation().getByteOffset();
    if (start < 0) {
      // No byte offsets: Jackson found UTF-16 or UTF-32. Heartbeats are UTF-8 JSON.
      throw malformed();
    }
    p.skipChildren();
    int end = (int) p.currentTokenLocation().getByteOffset() + 1;
    return new JsonObject(Buffer.buffer().appendBytes(bytes, start, end - start));
  }

  private static RuntimeException malformed() {
    return ApiError.badRequest("malformed_json", "the request body is not a JSON object").exception();
  }
}
