package dev.rollcall.core.gateway;

import dev.rollcall.core.http.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.ConnectException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Rollcall's side of the gateway protocol (docs/gateway-protocol.md). Every call has a timeout. For
 * provision, wake, deprovision and template sync a non-2xx answer, a refused connection and a timeout
 * all fail with 502 {@code gateway_unreachable} (retryable), and the caller decides what that means.
 * A task start is different: its timeout is ambiguous (the agent may have started), so
 * {@link #startTask} answers a {@link TaskStart} that keeps the three outcomes apart.
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

  /**
   * {@code POST {baseUrl}/v1/agents/{agentId}/provision}: start an instance of the agent for this epoch
   * with this bootstrap ticket, replacing any instance of an older epoch.
   */
  public Future<JsonObject> provision(String baseUrl, UUID agentId, JsonObject body) {
    return post(baseUrl, "/v1/agents/" + agentId + "/provision", body);
  }

  /** {@code POST {baseUrl}/v1/agents/{agentId}/wake}: wake the agent's instance of this epoch. */
  public Future<JsonObject> wake(String baseUrl, UUID agentId, long provisionEpoch) {
    return post(baseUrl, "/v1/agents/" + agentId + "/wake", new JsonObject().put("provisionEpoch", provisionEpoch));
  }

  /**
   * {@code POST {baseUrl}/v1/agents/{agentId}/deprovision}: stop the agent's instance of this epoch, or
   * every instance of the agent when {@code provisionEpoch} is null (the agent was deleted).
   */
  public Future<JsonObject> deprovision(String baseUrl, UUID agentId, Long provisionEpoch, String reason) {
    JsonObject body = new JsonObject().put("reason", reason);
    if (provisionEpoch != null) {
      body.put("provisionEpoch", provisionEpoch);
    }
    return post(baseUrl, "/v1/agents/" + agentId + "/deprovision", body);
  }

  /**
   * {@code POST {baseUrl}/v1/agents/{agentId}/tasks}: start a task attempt on the agent. Never fails;
   * the outcome says whether it started, was refused, failed, or is unknown (timed out).
   */
  public Future<TaskStart> startTask(String baseUrl, UUID agentId, JsonObject body) {
    String path = "/v1/agents/" + agentId + "/tasks";
    return client.postAbs(url(baseUrl, path))
        .timeout(timeout.toMillis() * 2) // the request's own bound; the outcome is decided at timeout
        .sendJsonObject(body)
        .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .map(response -> {
          if (response.statusCode() / 100 != 2) {
            return TaskStart.failed("the gateway answered " + response.statusCode());
          }
          JsonObject answer;
          try {
            answer = response.bodyAsJsonObject();
          } catch (RuntimeException e) {
            return TaskStart.failed("the gateway's answer is not a JSON object");
          }
          // Seed 04's review: a plain false is a failure to start, exactly like an error.
          if (answer == null || !Boolean.TRUE.equals(answer.getValue("started"))) {
            String reason = answer == null ? null : answer.getString("reason");
            return TaskStart.refused(reason == null ? "the gateway answered started=" + (answer == null ? null : answer.getValue("started")) : reason);
          }
          return TaskStart.STARTED;
        })
        .otherwise(e -> e instanceof TimeoutException
            ? TaskStart.timedOut("no answer within " + timeout.toMillis() + " ms")
            : TaskStart.failed((e instanceof ConnectException ? "connection refused: " : "") + e.getMessage()));
  }

  private Future<JsonObject> post(String baseUrl, String path, JsonObject body) {
    return client.postAbs(url(baseUrl, path))
        .timeout(timeout.toMillis())
        .sendJsonObject(body)
        .recover(e -> Future.failedFuture(unreachable(path + " failed: " + e.getMessage())))
        .compose(GatewayClient::json);
  }

  private static String url(String baseUrl, String path) {
    return baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) + path : baseUrl + path;
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

  /** How a task start went: started, refused ({@code started: false}), failed (error), or unknown. */
  public record TaskStart(Outcome outcome, String reason) {
    static final TaskStart STARTED = new TaskStart(Outcome.STARTED, null);

    public enum Outcome { STARTED, REFUSED, FAILED, TIMED_OUT }

    static TaskStart refused(String reason) {
      return new TaskStart(Outcome.REFUSED, reason);
    }

    static TaskStart failed(String reason) {
      return new TaskStart(Outcome.FAILED, reason);
    }

    static TaskStart timedOut(String reason) {
      return new TaskStart(Outcome.TIMED_OUT, reason);
    }
  }
}
