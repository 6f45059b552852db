package dev.rollcall.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RollcallConfigTest {

  @Test
  void defaultsAreTheSeedsTimeouts() {
    RollcallConfig config = RollcallConfig.load(Map.of(), Optional.empty());
    assertThat(config.checkinDeadline()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.maxWakeAttempts()).isEqualTo(3);
    assertThat(config.maxTransition()).isEqualTo(Duration.ofMinutes(2));
    assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.httpPort()).isEqualTo(8080);
    assertThat(config.pgUrl()).isEmpty();
    assertThat(config.redisUrl()).isEmpty();
    assertThat(config.agentPort()).isEmpty();
  }

  @Test
  void environmentOverridesFileWhichOverridesDefaults(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("rollcall.json");
    Files.writeString(file, "{\"checkinDeadline\": \"5s\", \"maxWakeAttempts\": 5, \"httpPort\": 9000}");
    RollcallConfig config = RollcallConfig.load(Map.of(
        "ROLLCALL_CONFIG", file.toString(),
        "ROLLCALL_HTTP_PORT", "9100",
        "ROLLCALL_PG_URL", "postgresql://rollcall:s3cret@db:5432/rollcall"), Optional.empty());
    assertThat(config.checkinDeadline()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.maxWakeAttempts()).isEqualTo(5);
    assertThat(config.httpPort()).isEqualTo(9100);
    assertThat(config.pgUrl()).contains("postgresql://rollcall:s3cret@db:5432/rollcall");
  }

  @Test
  void describeNeverPrintsAPassword() {
    RollcallConfig config = RollcallConfig.of(Map.of(Setting.PG_URL, "postgresql://rollcall:s3cret@db:5432/rollcall"));
    assertThat(config.describe().encode()).doesNotContain("s3cret").contains("rollcall:***@db:5432");
    assertThat(config.describe().getString("checkinDeadline")).isEqualTo("30s");
  }

  @Test
  void unknownKeyInFileFailsInsteadOfFallingBackToADefault(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("rollcall.json");
    Files.writeString(file, "{\"checkinDeadlin\": \"5s\"}");
    assertThatThrownBy(() -> RollcallConfig.load(Map.of(), Optional.of(file)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown setting 'checkinDeadlin'")
        .hasMessageContaining("checkinDeadline");
  }

  @Test
  void badValuesNameTheSettingAndWhatItExpects() {
    assertThatThrownBy(() -> RollcallConfig.load(Map.of("ROLLCALL_CHECKIN_DEADLINE", "soon"), Optional.empty()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("ROLLCALL_CHECKIN_DEADLINE")
        .hasMessageContaining("duration");
    assertThatThrownBy(() -> RollcallConfig.load(Map.of("ROLLCALL_HTTP_PORT", "70000"), Optional.empty()))
        .hasMessageContaining("ROLLCALL_HTTP_PORT").hasMessageContaining("port");
    assertThatThrownBy(() -> RollcallConfig.load(Map.of("ROLLCALL_MAX_WAKE_ATTEMPTS", "0"), Optional.empty()))
        .hasMessageContaining("ROLLCALL_MAX_WAKE_ATTEMPTS");
    assertThatThrownBy(() -> RollcallConfig.load(Map.of("ROLLCALL_REDIS_URL", "localhost"), Optional.empty()))
        .hasMessageContaining("ROLLCALL_REDIS_URL").hasMessageContaining("URL");
    assertThatThrownBy(() -> RollcallConfig.load(Map.of("ROLLCALL_MAX_TRANSITION", "0s"), Optional.empty()))
        .hasMessageContaining("ROLLCALL_MAX_TRANSITION");
  }

  @Test
  void malformedFileIsAClearError(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("rollcall.json");
    Files.writeString(file, "{not json");
    assertThatThrownBy(() -> RollcallConfig.load(Map.of(), Optional.of(file)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> RollcallConfig.load(Map.of(), Optional.of(dir.resolve("missing.json"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cannot read config file");
  }

  @Test
  void splitListenersNeedBothPorts() {
    assertThatThrownBy(() -> RollcallConfig.load(Map.of("ROLLCALL_AGENT_PORT", "8081"), Optional.empty()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("set both or neither");
    RollcallConfig split = RollcallConfig.load(Map.of("ROLLCALL_AGENT_PORT", "8081", "ROLLCALL_ADMIN_PORT", "8082"), Optional.empty());
    assertThat(split.agentPort()).contains(8081);
    assertThat(split.adminPort()).contains(8082);
  }

  @Test
  void durationsReadTheFormsOperatorsWrite() {
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("PT45S")).isEqualTo(Duration.ofSeconds(45));
    assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThat(Durations.format(Duration.ofMinutes(2))).isEqualTo("2m");
    assertThatThrownBy(() -> Durations.parse("2 minutes")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void everySettingHasAnEnvironmentVariableAndADescription() {
    for (Setting s : Setting.values()) {
      assertThat(s.env()).startsWith("ROLLCALL_");
      assertThat(s.description()).isNotBlank();
    }
    assertThat(Setting.PG_URL.env()).isEqualTo("ROLLCALL_PG_URL");
    assertThat(Setting.REDIS_URL.env()).isEqualTo("ROLLCALL_REDIS_URL");
    assertThat(Setting.HTTP_PORT.env()).isEqualTo("ROLLCALL_HTTP_PORT");
  }
}
