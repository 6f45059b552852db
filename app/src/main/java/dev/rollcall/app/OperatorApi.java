package dev.rollcall.app;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Blocking JSON calls to a control plane's operator API (and the simulator's admin API), for the
 * commands that drive a running node from the main thread: {@code dev}'s simulated fleet and
 * {@code chaos}. Never used on an event loop.
 */
final class OperatorApi {
  // HTTP/1.1, as agents and operators speak it (the JDK client would otherwise try an h2c upgrade).
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final String bearer;

  OperatorApi(String adminToken) {
    this.bearer = "Bearer " + adminToken;
  }

  /** {@code method url} with a JSON body (or none); the answer's JSON, or an exception naming what came back instead. */
  JsonObject call(String method, String url, JsonObject body, int expected) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
          .header("Authorization", bearer).header("content-type", "application/json")
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != expected) {
        throw new IllegalStateException(method + " " + url + " answered " + r.statusCode() + ": " + r.body());
      }
      return r.body().isBlank() ? new JsonObject() : new JsonObject(r.body());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
