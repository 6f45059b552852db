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
 * machine with nothing but a JDK. It must answer /health/ready UP within 30 s, bring its simulated fleet
 * to ready, and stop cleanly on SIGTERM; from start to stop a healthy dev stack prints no WARN or ERROR
 * line (a warning the operator cannot act on teaches them to ignore warnings).
 */
class DevJarIT {

  @Test
  void devIsReadyWithin30SecondsAndStartsAndStopsQuietly() throws Exception {
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
      // The simulated fleet registers and sends its first heartbeats (the default 10 s interval).
      int fleet = DevFleet.GATEWAYS * DevFleet.AGENTS_PER_GATEWAY;
      while (System.nanoTime() - started < TimeUnit.SECONDS.toNanos(90) && readyTransitions(log) < fleet && process.isAlive()) {
        TimeUnit.MILLISECONDS.sleep(250); // test thread: waiting on the child's log
      }
      assertThat(readyTransitions(log)).as("the dev fleet became ready; output:%n%s", Files.readString(log)).isEqualTo(fleet);
    } finally {
      process.destroy();
      boolean exited = process.waitFor(30, TimeUnit.SECONDS);
      if (!exited) {
        process.destroyForcibly();
      }
      assertThat(exited).as("dev stops on SIGTERM").isTrue();
    }
    String output = Files.readString(log);
    assertThat(output).as("an orderly stop").contains("event=\"node.stopped\"");
    assertThat(output.lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.contains("Exception")))
        .as("a clean start and stop of dev logs no WARN, ERROR or exception").isEmpty();
  }

  private static long readyTransitions(Path log) throws IOException {
    return Files.readString(log).lines().filter(l -> l.contains("event=\"lifecycle.heartbeat.ready\"")).count();
  }
}
