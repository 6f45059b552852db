package dev.rollcall.core.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;

/**
 * What a module adds to Rollcall's HTTP surface. Vert.x servers that share a port share connections
 * round-robin, whatever routes they have, so there is one router per listener and each module
 * contributes its routes to it rather than listening itself.
 *
 * <p>The agent-facing router carries the hot path (heartbeats) and sits wherever agents can reach;
 * the operator-facing router can be put on a private port ({@code ROLLCALL_ADMIN_PORT}). In dev both
 * are the same router on one port. A contributor is created once per HTTP verticle instance, so it may
 * keep per-event-loop state without locks.
 */
public interface RouteContributor {

  /** Routes that agents call (register, heartbeat, task reports). Mounted under no prefix. */
  default void mountAgentRoutes(Router router) {
  }

  /**
   * Answers a request before the agent router sees it, or returns false to leave it to the router. For
   * one hot path only (heartbeats: the router's per-request work is a large share of their cost, see
   * BENCHMARKS.md). Take only requests whose shape is certain (method, exact path, a Content-Length
   * within the body limit) and leave everything else, malformed ids and oversized bodies included, to
   * the routed twin, which answers them the usual way. Called for every request on an agent listener.
   */
  default boolean answerDirectly(HttpServerRequest request) {
    return false;
  }

  /** Routes that operators call (gateways, agents, tasks). Mounted under no prefix. */
  default void mountOperatorRoutes(Router router) {
  }
}
