package dev.rollcall.core.gateway;

import dev.rollcall.core.http.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;

/**
 * Rollcall's side of the gateway protocol (docs/gateway-protocol.md). Every call has a timeout; a
 * non-2xx answer, a refused connection and a timeout all fail with 502 {@code gateway_unreachable}
 * (retryable), and the caller decides what that means for its operation.
 */
public final class GatewayClient {
  private final WebClient client;
  private final Duration timeout;

  public GatewayClient(Vertx vertx, Duration timeout) {
    this.client = WebClient.create(vertx, new WebClientOptions().setConnectTimeout((int) timeout.toMillis()).setUserAgent("rollcall"));
    this.timeout = timeout;
  }

  /**
   * {@code POST {baseUrl}/v1/templates/sync}: the gateway rewrites its agents' templates (and, when the
   * body carries them, their credentials). Success means the gateway says it wrote them.
   */
  public Future<JsonObject> syncTemplates(String baseUrl, JsonObject body) {
    return post(baseUrl, "/v1/templates/sync", body);
  }

  private Future<JsonObject> post(String baseUrl, String path, JsonObject body) {
    String url = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) + path : baseUrl + path;
    return client.postAbs(url)
        .timeout(timeout.toMillis())
        .sendJsonObject(body)
        .recover(e -> Future.failedFuture(unreachable(path + " failed: " + e.getMessage())))
        .compose(GatewayClient::json);
  }

  private static Future<JsonObject> json(HttpResponse<?> response) {
    if (response.statusCode() / 100 != 2) {
      return Future.failedFuture(unreachable("the gateway answered " + response.statusCode()));
    }
    try {
      JsonObject body = response.bodyAsJsonObject();
      return Future.succeededFuture(body == null ? new JsonObject() : body);
    } catch (RuntimeException e) {
      return Future.failedFuture(unreachable("the gateway's answer is not a JSON object"));
    }
  }

  private static Throwable unreachable(String why) {
    return new ApiError(502, "gateway_unreachable", why, true).exception();
  }

  public void close() {
    client.close();
  }
}
