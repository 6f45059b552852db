package dev.rollcall.heartbeat;

import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What an agent says about itself in a heartbeat, validated. */
record HeartbeatReport(Reported status, Integer templateVersion, JsonObject detail) {

  /** The statuses an agent may report, and the lifecycle trigger each one is. */
  enum Reported {
    STARTING(LifecycleTrigger.REPORTED_STARTING),
    READY(LifecycleTrigger.REPORTED_READY),
    BUSY(LifecycleTrigger.REPORTED_BUSY),
    DEGRADED(LifecycleTrigger.REPORTED_DEGRADED),
    STOPPING(LifecycleTrigger.REPORTED_STOPPING);

    final LifecycleTrigger trigger;

    Reported(LifecycleTrigger trigger) {
      this.trigger = trigger;
    }

    static String allowed() {
      return Arrays.stream(values()).map(r -> r.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
    }
  }

  static HeartbeatReport parse(JsonObject body) {
    Object status = body.getValue("status");
    if (!(status instanceof String text)) {
      throw ApiError.badRequest("missing_field", "field 'status' is required: one of " + Reported.allowed()).exception();
    }
    Reported reported = Arrays.stream(Reported.values()).filter(r -> r.name().equalsIgnoreCase(text) && text.equals(text.toLowerCase(Locale.ROOT)))
        .findFirst()
        .orElseThrow(() -> ApiError.badRequest("invalid_status", "status must be one of " + Reported.allowed()).exception());
    Object version = body.getValue("templateVersion");
    if (version != null && !(version instanceof Integer v && v >= 1)) {
      throw ApiError.badRequest("invalid_template_version", "templateVersion must be an integer >= 1").exception();
    }
    Object detail = body.getValue("detail");
    if (detail != null && !(detail instanceof JsonObject)) {
      throw ApiError.badRequest("invalid_detail", "detail must be a JSON object").exception();
    }
    return new HeartbeatReport(reported, (Integer) version, (JsonObject) detail);
  }
}
