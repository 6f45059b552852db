package dev.rollcall.core.http;

import dev.rollcall.core.auth.OperatorAuth;
import dev.rollcall.core.health.ReadinessChecks;
import dev.rollcall.core.node.NodeContext;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import java.util.List;

/**
 * Builds the one router of a listener from what the modules contribute: body limit, agent routes,
 * health, optional metrics, then (behind the admin token) operator routes, JSON 404 and the JSON failure
 * handler. Agent routes come first because the router tries routes in order and heartbeats are nearly
 * all of the traffic. The app's HTTP verticle and the test harness build routers the same way, here.
 */
public final class NodeRouters {
  /** Where the OpenAPI document is served, and where it lives on the classpath. */
  public static final String OPENAPI_PATH = "/api/v1/openapi.yaml";
  public static final String OPENAPI_RESOURCE = "openapi/rollcall-openapi.yaml";

  private NodeRouters() {
  }

  /**
   * @param metrics the /metrics handler, or null to serve none on this listener
   */
  public static Handler<HttpServerRequest> build(Vertx vertx, NodeContext node, List<RouteContributor> contributors,
                                                boolean agentApi, boolean operatorApi, Handler<RoutingContext> metrics) {
    Router router = router(vertx, node, contributors, agentApi, operatorApi, metrics);
    if (!agentApi) {
      return router;
    }
    List<RouteContributor> direct = List.copyOf(contributors);
    return request -> {
      for (RouteContributor contributor : direct) {
        if (contributor.answerDirectly(request)) {
          return;
        }
      }
      router.handle(request);
    };
  }

  /** The router itself, without the direct-answer lane in front (the OpenAPI contract test lists its routes). */
  public static Router router(Vertx vertx, NodeContext node, List<RouteContributor> contributors,
                              boolean agentApi, boolean operatorApi, Handler<RoutingContext> metrics) {
    Router router = Router.router(vertx);
    // Every body is bounded; a larger one is refused with 413 before any handler reads it.
    router.route().handler(BodyHandler.create(false).setBodyLimit(node.config().bodyLimitBytes()));
    if (agentApi) {
      // The hot path first: each route tried before a heartbeat's costs it a path match.
      contributors.forEach(c -> c.mountAgentRoutes(router));
    }
    // The API contract, public like health (it holds no secret): read once from the classpath, asynchronously.
    Future<Buffer> contract = vertx.fileSystem().readFile(OPENAPI_RESOURCE);
    router.get(OPENAPI_PATH).handler(rc -> contract
        .onSuccess(doc -> rc.response().putHeader("content-type", "application/yaml; charset=utf-8").end(doc))
        .onFailure(rc::fail));
    router.get("/health/live").handler(HealthCheckHandler.createWithHealthChecks(ReadinessChecks.liveness(vertx)));
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(
        ReadinessChecks.readiness(vertx, node.pool(), node.redisApi())));
    if (metrics != null) {
      router.get("/metrics").handler(metrics);
    }
    if (operatorApi) {
      // Agent routes are matched first (they were added first and end the response), so everything else
      // under /api/v1 is the operator API and needs the admin token, unknown paths included.
      router.route("/api/v1/*").handler(new OperatorAuth(node.config().adminToken()
          .orElseThrow(() -> new IllegalStateException("the operator API needs an admin token"))));
      contributors.forEach(c -> c.mountOperatorRoutes(router));
    }
    router.route().last().handler(HttpErrors::notFound);
    router.route().failureHandler(HttpErrors::handleFailure);
    return router;
  }
}
