package dev.rollcall.gatewaysim;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway simulator: one HTTP server that is any number of gateways, each under
 * {@code /gw/<gateway name>} (its base URL for Rollcall), speaking docs/gateway-protocol.md, and the
 * simulated agents behind them ({@link Simulator}). Its own small admin API switches faults at run time:
 *
 * <ul>
 *   <li>{@code GET /sim/state}: every agent (profile, epoch, instances, crashes, 401 streaks) and gateway;</li>
 *   <li>{@code PUT /sim/faults} {@code {"assign": {"<agent name or id>": "<profile>"}}}: set profiles
 *       ({@code gateway-outage} only labels an agent; the outage itself is the call below);</li>
 *   <li>{@code POST /sim/gateways/<name>/outage} {@code {"ms": 5000}}: the gateway goes dark, then returns.</li>
 * </ul>
 */
public final class GatewaySimVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(GatewaySimVerticle.class);

  private final Simulator.Settings settings;
  private final String host;
  private final int port;
  private Simulator sim;
  private HttpServer server;

  /**
   * @param seed the fault randomness (boot delays, flaky drops, crash times)
   * @param slowStart the control plane's check-in deadline: slow-start agents boot just before or after it
   * @param crashLaterAfter how long a crash-later agent lives
   */
  public GatewaySimVerticle(String host, int port, long seed, Duration slowStart, Duration crashLaterAfter) {
    this.host = host;
    this.port = port;
    this.settings = new Simulator.Settings(seed, slowStart, crashLaterAfter, Duration.ofMillis(150), 0.2);
  }

  @Override
  public Future<?> start() {
    sim = new Simulator(vertx, settings);
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create().setBodyLimit(64 * 1024));
    router.post("/gw/:gateway/v1/agents/:agentId/provision").handler(rc -> gatewayCall(rc, body -> {
      sim.provision(rc.pathParam("gateway"), rc.pathParam("agentId"), body);
      return new JsonObject().put("accepted", true);
    }));
    router.post("/gw/:gateway/v1/agents/:agentId/wake").handler(rc -> gatewayCall(rc, body -> {
      sim.wake(rc.pathParam("agentId"), body.getLong("provisionEpoch", -1L));
      return new JsonObject().put("woken", true);
    }));
    router.post("/gw/:gateway/v1/agents/:agentId/deprovision").handler(rc -> gatewayCall(rc, body ->
        new JsonObject().put("stopped", sim.deprovision(rc.pathParam("agentId"), body.getLong("provisionEpoch")))));
    router.post("/gw/:gateway/v1/agents/:agentId/tasks").handler(rc -> gatewayCall(rc, body -> {
      JsonObject answer = sim.startTask(rc.pathParam("agentId"), body);
      if (answer == null) {
        rc.response().setStatusCode(500).putHeader("content-type", "application/json")
            .end(new JsonObject().put("error", "docker daemon unreachable (simulated)").encode());
      }
      return answer;
    }));
    router.post("/gw/:gateway/v1/templates/sync").handler(rc -> gatewayCall(rc, body ->
        new JsonObject().put("synced", sim.syncTemplates(rc.pathParam("gateway"), body))));

    router.get("/sim/state").handler(rc -> rc.json(sim.snapshot()));
    router.put("/sim/faults").handler(rc -> {
      JsonObject body = jsonBody(rc);
      if (body == null) {
        error(rc, 400, "malformed_json", "the body must be a JSON object");
        return;
      }
      JsonObject assign = body.getValue("assign") instanceof JsonObject o ? o : null;
      if (assign == null) {
        error(rc, 400, "missing_field", "body must be {\"assign\": {\"<agent name or id>\": \"<profile>\"}}");
        return;
      }
      Map<String, FaultProfile> profiles = new HashMap<>();
      for (String key : assign.fieldNames()) {
        FaultProfile p = FaultProfile.fromWire(String.valueOf(assign.getValue(key))).orElse(null);
        if (p == null) {
          error(rc, 400, "unknown_profile", "unknown fault profile '" + assign.getValue(key) + "'");
          return;
        }
        profiles.put(key, p);
      }
      sim.assign(profiles);
      rc.json(new JsonObject().put("assigned", profiles.size()));
    });
    router.post("/sim/gateways/:gateway/outage").handler(rc -> {
      JsonObject body = jsonBody(rc);
      Long ms = body != null && body.getValue("ms") instanceof Number n ? n.longValue() : null;
      if (ms == null || ms <= 0 || ms > 3_600_000) {
        error(rc, 400, "invalid_duration", "body must be {\"ms\": <1..3600000>}");
        return;
      }
      sim.outage(rc.pathParam("gateway"), Duration.ofMillis(ms));
      rc.json(new JsonObject().put("dark", true).put("ms", ms));
    });
    return vertx.createHttpServer().requestHandler(router).listen(port, host).onSuccess(s -> {
      server = s;
      LOG.atInfo().addKeyValue("event", "sim.started").addKeyValue("url", url()).log("gateway simulator listening");
    });
  }

  /** Where the simulator listens; gateway {@code g}'s base URL is {@code url() + "/gw/" + g}. */
  public String url() {
    return dev.rollcall.core.config.RollcallConfig.localUrl(host, server.actualPort());
  }

  /** The port it actually listens on (port 0 picks one). */
  public int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    sim.close();
    return Future.succeededFuture();
  }

  /** A gateway-protocol call: a dark gateway drops the connection; bad JSON is a 400. */
  private void gatewayCall(RoutingContext rc, java.util.function.Function<JsonObject, JsonObject> handler) {
    if (sim.dark(rc.pathParam("gateway"))) {
      rc.request().connection().close();
      return;
    }
    JsonObject body = jsonBody(rc);
    if (body == null) {
      error(rc, 400, "malformed_json", "the body must be a JSON object");
      return;
    }
    JsonObject answer = handler.apply(body);
    if (answer != null && !rc.response().ended()) {
      rc.json(answer);
    }
  }

  private static JsonObject jsonBody(RoutingContext rc) {
    try {
      return rc.body().length() == 0 ? new JsonObject() : rc.body().asJsonObject();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static void error(RoutingContext rc, int status, String code, String message) {
    rc.response().setStatusCode(status).putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", code).put("message", message).put("retryable", false).encode());
  }
}
