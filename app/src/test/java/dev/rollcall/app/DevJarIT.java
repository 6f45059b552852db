package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.embedded.EmbeddedServers;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's run command, as a newcomer runs it: {@code java -jar app/target/rollcall.jar dev} on a
 * machine with nothing but a JDK. It must answer /health/ready UP within 30 s and stop cleanly.
 */
class DevJarIT {

  @Test
  void devIsReadyWithin30SecondsAndStopsOnSigterm() throws Exception {
    Path jar = Path.of(System.getProperty("rollcall.jar", "target/rollcall.jar"));
    assertThat(jar).exists();
    int port = EmbeddedServers.freePort();
    Path log = Files.createTempFile("rollcall-dev", ".log");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar.toString(), "dev")
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("ROLLCALL_"));
    pb.environment().put("ROLLCALL_HTTP_PORT", String.valueOf(port));
    long started = System.nanoTime();
    Process process = pb.start();
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      int status = 0;
      String body = "";
      while (System.nanoTime() - started < TimeUnit.SECONDS.toNanos(30) && process.isAlive()) {
        try {
          HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
              .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
          status = r.statusCode();
          body = r.body();
          if (status == 200) {
            break;
          }
        } catch (IOException notYet) {
          // not listening yet
        }
        TimeUnit.MILLISECONDS.sleep(250); // test thread, not an event loop: polling the child process
      }
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
      assertThat(status).as("ready after %d s; output:%n%s", seconds, Files.readString(log)).isEqualTo(200);
      assertThat(body).contains("\"outcome\":\"UP\"");
      assertThat(Files.readString(log))
          .contains("Rollcall dev is up:")
          .contains("http://127.0.0.1:" + port)
          .contains("(embedded, discarded on exit)");
    } finally {
      process.destroy();
      boolean exited = process.waitFor(30, TimeUnit.SECONDS);
      if (!exited) {
        process.destroyForcibly();
      }
      assertThat(exited).as("dev stops on SIGTERM").isTrue();
    }
  }
}
