package dev.rollcall.core.testing;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * A real HTTP client for tests (the JDK's), used from the test thread: requests go over a socket to the
 * server under test, exactly as an agent's or operator's would.
 */
public final class TestHttp {
  // HTTP/1.1: the JDK client otherwise opens every connection with an h2c upgrade, which is not what
  // agents or operators speak to Rollcall, and a suite run once hung reading a body after one.
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;

  public TestHttp(String base) {
    this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
  }

  public Response get(String path) {
    return get(path, Map.of());
  }

  public Response get(String path, Map<String, String> headers) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), headers);
  }

  public Response post(String path, String body, Map<String, String> headers) {
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)), headers);
  }

  public Response delete(String path, Map<String, String> headers) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE(), headers);
  }

  public Response send(HttpRequest.Builder builder, Map<String, String> headers) {
    headers.forEach(builder::header);
    try {
      // The request timeout covers the wait for the headers only: the whole answer, body included, gets
      // a deadline too, so that a hang fails the test instead of the build.
      HttpResponse<String> response = client.sendAsync(builder.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString())
          .get(30, java.util.concurrent.TimeUnit.SECONDS);
      return new Response(response.statusCode(), response.body(), response);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("request failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Status and body of one answer. */
  public record Response(int status, String body, HttpResponse<String> raw) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }
}
