package dev.rollcall.core.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real HTTP gateway for the provisioner's tests, speaking docs/gateway-protocol.md and recording
 * every call. How it answers task starts is scripted per test; the gateway simulator replaces it for
 * whole-fleet runs.
 */
public final class TestGateway implements AutoCloseable {
  public enum StartMode { STARTED, ERROR, FALSE, HANG }

  public record Call(String kind, String agentId, JsonObject body) {
  }

  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  public final List<Call> calls = new CopyOnWriteArrayList<>();
  /** Scripted answers to task starts, used in order; {@link #defaultStart} once they run out. */
  public final Queue<StartMode> starts = new ConcurrentLinkedQueue<>();
  public volatile StartMode defaultStart = StartMode.STARTED;
  public volatile long provisionDelayMillis;
  public volatile int wakeStatus = 200;

  public TestGateway() {
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create());
    router.post("/v1/agents/:agentId/provision").handler(rc -> {
      calls.add(new Call("provision", rc.pathParam("agentId"), rc.body().asJsonObject()));
      vertx.setTimer(Math.max(1, provisionDelayMillis), id -> rc.json(new JsonObject().put("accepted", true)));
    });
    router.post("/v1/agents/:agentId/wake").handler(rc -> {
      calls.add(new Call("wake", rc.pathParam("agentId"), rc.body().asJsonObject()));
      rc.response().setStatusCode(wakeStatus).end(new JsonObject().put("woken", wakeStatus == 200).encode());
    });
    router.post("/v1/agents/:agentId/deprovision").handler(rc -> {
      calls.add(new Call("deprovision", rc.pathParam("agentId"), rc.body().asJsonObject()));
      rc.json(new JsonObject().put("stopped", 1));
    });
    router.post("/v1/agents/:agentId/tasks").handler(rc -> {
      calls.add(new Call("start", rc.pathParam("agentId"), rc.body().asJsonObject()));
      StartMode mode = starts.poll();
      switch (mode == null ? defaultStart : mode) {
        case STARTED -> rc.json(new JsonObject().put("started", true));
        case FALSE -> rc.json(new JsonObject().put("started", false).put("reason", "container exited at once"));
        case ERROR -> rc.response().setStatusCode(500).end("{\"error\":\"docker daemon unreachable\"}");
        case HANG -> { } // never answers: the start times out on Rollcall's side
      }
    });
    server = TestNode.await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  public List<Call> calls(String kind) {
    return calls.stream().filter(c -> c.kind().equals(kind)).toList();
  }

  @Override
  public void close() {
    TestNode.await(vertx.close());
  }
}
