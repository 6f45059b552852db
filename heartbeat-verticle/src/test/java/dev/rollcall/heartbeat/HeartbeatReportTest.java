package dev.rollcall.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.rollcall.core.http.ApiError;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The streaming parse of heartbeat bodies: every field, and every way a body can be wrong. */
class HeartbeatReportTest {
  @Test
  void readsStatusVersionAndDetailAndSkipsUnknownFields() {
    HeartbeatReport r = parse("{\"extra\": {\"status\": \"busy\", \"x\": [1, {\"detail\": 2}]}, \"status\": \"degraded\", "
        + "\"templateVersion\": 7, \"detail\": {\"disk\": \"full\", \"n\": [1, 2]}, \"tail\": [\"status\"]}");
    assertThat(r.status()).isEqualTo(HeartbeatReport.Reported.DEGRADED);
    assertThat(r.templateVersion()).isEqualTo(7);
    assertThat(r.detail()).isEqualTo(new JsonObject().put("disk", "full").put("n", new io.vertx.core.json.JsonArray().add(1).add(2)));
    HeartbeatReport bare = parse("{\"status\":\"ready\",\"templateVersion\":null,\"detail\":null}");
    assertThat(bare.templateVersion()).isNull();
    assertThat(bare.detail()).isNull();
  }

  @Test
  void everyWrongBodyHasItsOwnCode() {
    assertThat(code(null)).isEqualTo("body_required");
    assertThat(code("")).isEqualTo("body_required");
    assertThat(code("{not json")).isEqualTo("malformed_json");
    assertThat(code("[\"status\", \"ready\"]")).isEqualTo("malformed_json");
    assertThat(code("\"ready\"")).isEqualTo("malformed_json");
    assertThat(code("{\"status\": \"ready\"} {}")).isEqualTo("malformed_json");
    assertThat(code("{\"status\": \"ready\"")).isEqualTo("malformed_json");
    assertThat(code("{}")).isEqualTo("missing_field");
    assertThat(code("{\"status\": {\"a\": \"ready\"}}")).isEqualTo("missing_field");
    assertThat(code("{\"status\": 3}")).isEqualTo("missing_field");
    assertThat(code("{\"status\": \"READY\"}")).isEqualTo("invalid_status");
    assertThat(code("{\"status\": \"sleepy\"}")).isEqualTo("invalid_status");
    assertThat(code("{\"status\": \"ready\", \"templateVersion\": 0}")).isEqualTo("invalid_template_version");
    assertThat(code("{\"status\": \"ready\", \"templateVersion\": 1.5}")).isEqualTo("invalid_template_version");
    assertThat(code("{\"status\": \"ready\", \"templateVersion\": 99999999999}")).isEqualTo("invalid_template_version");
    assertThat(code("{\"status\": \"ready\", \"templateVersion\": \"3\"}")).isEqualTo("invalid_template_version");
    assertThat(code("{\"status\": \"ready\", \"detail\": \"oops\"}")).isEqualTo("invalid_detail");
    assertThat(code("{\"status\": \"ready\", \"detail\": [1]}")).isEqualTo("invalid_detail");
  }

  private static HeartbeatReport parse(String body) {
    return HeartbeatReport.parse(Buffer.buffer(body));
  }

  private static String code(String body) {
    Throwable t = catchThrowable(() -> HeartbeatReport.parse(body == null ? null : Buffer.buffer(body)));
    assertThat(t).as(body).isNotNull();
    ApiError error = ApiError.of(t);
    assertThat(error.status()).isEqualTo(400);
    return error.error();
  }
}
