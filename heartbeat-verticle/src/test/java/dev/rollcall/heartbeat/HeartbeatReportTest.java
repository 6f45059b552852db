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

  @Test
  void thePlainBodyIsReadWithoutAParserExactlyAsJacksonReadsIt() {
    // Generated bodies: both fields, either order, either one missing, JSON whitespace between tokens,
    // every status, versions of one to nine digits. Each must be taken by the plain reader and give
    // what the full parser gives.
    java.util.Random random = new java.util.Random(42);
    String[] spaces = {"", " ", "\n", "\r\n", "\t", "  "};
    for (int n = 0; n < 2_000; n++) {
      String status = HeartbeatReport.Reported.values()[random.nextInt(5)].wireName();
      String version = String.valueOf(1 + random.nextInt(random.nextBoolean() ? 9 : 999_999_999));
      java.util.function.Supplier<String> ws = () -> spaces[random.nextInt(spaces.length)];
      String statusMember = "\"status\":" + ws.get() + "\"" + status + "\"";
      String versionMember = "\"templateVersion\":" + ws.get() + version;
      String members = switch (random.nextInt(3)) {
        case 0 -> statusMember + ws.get() + "," + ws.get() + versionMember;
        case 1 -> versionMember + ws.get() + "," + ws.get() + statusMember;
        default -> statusMember;
      };
      byte[] body = (ws.get() + "{" + ws.get() + members + ws.get() + "}" + ws.get()).getBytes();
      HeartbeatReport plain = HeartbeatReport.readPlain(body);
      assertThat(plain).as(new String(body)).isNotNull().isEqualTo(HeartbeatReport.readAny(body));
    }
  }

  @Test
  void anythingElseIsLeftToTheFullParserWhichJudgesIt() {
    String[] others = {
        "{}", "{\"status\":\"ready\",}", "{\"status\" : \"ready\"}", "{\"status\":\"re\\u0061dy\"}",
        "{\"status\":\"ready\",\"status\":\"busy\"}", "{\"status\":\"ready\",\"templateVersion\":1,\"templateVersion\":2}",
        "{\"status\":\"ready\",\"templateVersion\":0}", "{\"status\":\"ready\",\"templateVersion\":01}",
        "{\"status\":\"ready\",\"templateVersion\":1.5}", "{\"status\":\"ready\",\"templateVersion\":1e3}",
        "{\"status\":\"ready\",\"templateVersion\":-1}", "{\"status\":\"ready\",\"templateVersion\":1234567890}",
        "{\"status\":\"ready\",\"templateVersion\":null}", "{\"status\":\"ready\",\"detail\":{}}",
        "{\"status\":\"sleepy\"}", "{\"status\":\"READY\"}", "{\"status\":\"ready\"} {}", "{\"status\":\"ready\"",
        "[{\"status\":\"ready\"}]", "{\"templateVersion\":3}", "\uFEFF{\"status\":\"ready\"}",
        "{\"status\":\"readyreadyreadyreadyready\"}",
    };
    for (String body : others) {
      assertThat(HeartbeatReport.readPlain(body.getBytes(java.nio.charset.StandardCharsets.UTF_8))).as(body).isNull();
    }
    // And the full parser answers them as before, through parse.
    assertThat(parse("{\"status\":\"ready\",\"templateVersion\":1234567890}").templateVersion()).isEqualTo(1234567890);
    assertThat(code("{\"status\":\"ready\",\"templateVersion\":01}")).isEqualTo("malformed_json");
    assertThat(parse("{\"status\" : \"ready\"}").status()).isEqualTo(HeartbeatReport.Reported.READY);
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
