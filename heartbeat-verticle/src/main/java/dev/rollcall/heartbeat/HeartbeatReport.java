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
import java.nio.charset.StandardCharsets;
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
  /** The plain body's keys, each with its colon: {@code "name":}. */
  private static final byte[] STATUS_KEY = "\"status\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] VERSION_KEY = "\"templateVersion\":".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_STATUS_LENGTH = 16;

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
    HeartbeatReport plain = readPlain(bytes);
    return plain != null ? plain : readAny(bytes);
  }

  /** Any JSON body, with Jackson's streaming parser: every field, every error. */
  static HeartbeatReport readAny(byte[] bytes) {
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

  /**
   * The body nearly every agent sends, read without a parser: an object of {@code "status"} (a lower-case
   * word) and optionally {@code "templateVersion"} (an integer from 1, up to nine digits), each once, in
   * either order, with JSON whitespace anywhere between tokens. Null for anything else, which
   * {@link #readAny} then reads (and judges) in full; what this accepts, Jackson reads the same way
   * ({@code HeartbeatReportTest} checks both on generated bodies).
   */
  static HeartbeatReport readPlain(byte[] b) {
    int i = skipWhitespace(b, 0);
    if (i >= b.length || b[i] != '{') {
      return null;
    }
    Reported status = null;
    int templateVersion = 0;
    do {
      i = skipWhitespace(b, i + 1);
      if (matches(b, i, STATUS_KEY) && status == null) {
        i = skipWhitespace(b, i + STATUS_KEY.length);
        if (i >= b.length || b[i] != '"') {
          return null;
        }
        int start = i + 1;
        int end = start;
        while (end < b.length && end - start < MAX_STATUS_LENGTH && b[end] >= 'a' && b[end] <= 'z') {
          end++;
        }
        if (end >= b.length || b[end] != '"') {
          return null;
        }
        status = Reported.BY_WIRE_NAME.get(new String(b, start, end - start, StandardCharsets.US_ASCII));
        if (status == null) {
          return null;
        }
        i = end + 1;
      } else if (matches(b, i, VERSION_KEY) && templateVersion == 0) {
        i = skipWhitespace(b, i + VERSION_KEY.length);
        if (i >= b.length || b[i] < '1' || b[i] > '9') {
          return null;
        }
        int start = i;
        while (i < b.length && i - start < 9 && b[i] >= '0' && b[i] <= '9') {
          templateVersion = templateVersion * 10 + (b[i++] - '0');
        }
      } else {
        return null;
      }
      i = skipWhitespace(b, i);
    } while (i < b.length && b[i] == ',');
    if (i >= b.length || b[i] != '}' || status == null || skipWhitespace(b, i + 1) != b.length) {
      return null;
    }
    return new HeartbeatReport(status, templateVersion == 0 ? null : templateVersion, null);
  }

  private static boolean matches(byte[] b, int at, byte[] key) {
    return b.length - at >= key.length && Arrays.equals(b, at, at + key.length, key, 0, key.length);
  }

  private static int skipWhitespace(byte[] b, int i) {
    while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
      i++;
    }
    return i;
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
