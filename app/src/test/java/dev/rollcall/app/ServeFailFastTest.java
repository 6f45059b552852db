package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.embedded.EmbeddedServers;
import dev.rollcall.core.testing.TestServers;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** `rollcall serve` refuses to start half-configured or against servers it cannot reach, in one line. */
class ServeFailFastTest {

  @Test
  void serveWithoutUrlsSaysWhatToSet() {
    Result r = run(Map.of("ROLLCALL_ADMIN_TOKEN", "test-admin-token-0123456789"));
    assertThat(r.code).isEqualTo(1);
    assertThat(r.err).contains("ROLLCALL_PG_URL").contains("ROLLCALL_REDIS_URL").contains("rollcall dev");
  }

  @Test
  void unreachablePostgresFailsFastNamingTheServerWithoutItsPassword() {
    int deadPort = EmbeddedServers.freePort();
    Instant started = Instant.now();
    Result r = run(Map.of(
        "ROLLCALL_PG_URL", "postgresql://rollcall:s3cret@127.0.0.1:" + deadPort + "/rollcall",
        "ROLLCALL_REDIS_URL", "redis://127.0.0.1:" + deadPort,
        "ROLLCALL_ADMIN_TOKEN", "test-admin-token-0123456789",
        "ROLLCALL_STARTUP_CHECK_TIMEOUT", "3s"));
    assertThat(r.code).isEqualTo(1);
    assertThat(r.err).contains("cannot migrate PostgreSQL at postgresql://rollcall:***@127.0.0.1:" + deadPort);
    assertThat(r.err).doesNotContain("s3cret");
    assertThat(r.err.strip().lines().count()).isEqualTo(1);
    assertThat(Duration.between(started, Instant.now())).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void unreachableRedisFailsFast() {
    int deadPort = EmbeddedServers.freePort();
    Result r = run(Map.of(
        "ROLLCALL_PG_URL", TestServers.get().pgUrl(),
        "ROLLCALL_REDIS_URL", "redis://127.0.0.1:" + deadPort,
        "ROLLCALL_HTTP_PORT", "0",
        "ROLLCALL_ADMIN_TOKEN", "test-admin-token-0123456789",
        "ROLLCALL_STARTUP_CHECK_TIMEOUT", "3s"));
    assertThat(r.code).isEqualTo(1);
    assertThat(r.err).contains("cannot reach Redis at redis://127.0.0.1:" + deadPort);
  }

  @Test
  void serveWithoutAnAdminTokenRefusesToStart() {
    Result r = run(Map.of("ROLLCALL_PG_URL", "postgresql://u:p@127.0.0.1:1/db", "ROLLCALL_REDIS_URL", "redis://127.0.0.1:1"));
    assertThat(r.code).isEqualTo(1);
    assertThat(r.err).contains("ROLLCALL_ADMIN_TOKEN");
  }

  @Test
  void badConfigurationIsOneClearLine() {
    Result r = run(Map.of("ROLLCALL_CHECKIN_DEADLINE", "soon"));
    assertThat(r.code).isEqualTo(1);
    assertThat(r.err).contains("ROLLCALL_CHECKIN_DEADLINE").contains("duration");
  }

  private static Result run(Map<String, String> env) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new String[] {"serve"}, env, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  private record Result(int code, String out, String err) {
  }
}
