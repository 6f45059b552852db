package dev.rollcall.app;

/**
 * One HTTP listener of a node and what it serves. In dev (and by default in serve) a single listener
 * serves everything; with {@code ROLLCALL_AGENT_PORT} and {@code ROLLCALL_ADMIN_PORT} the agent API
 * and the operator side (operator API, metrics) are split so the admin side can sit on a private
 * network. Health is on every listener, so each one can be probed by whatever routes to it.
 */
record Listener(String name, String host, int port, boolean agentApi, boolean operatorApi, boolean metrics) {

  String url() {
    return dev.rollcall.core.config.RollcallConfig.localUrl(host, port);
  }

  String serves() {
    StringBuilder sb = new StringBuilder();
    if (agentApi) {
      sb.append("agent API, ");
    }
    if (operatorApi) {
      sb.append("operator API, ");
    }
    sb.append("/health/live, /health/ready");
    if (metrics) {
      sb.append(", /metrics");
    }
    return sb.toString();
  }

  /**
   * The HTTP server options of every Rollcall listener. The heartbeat benchmark's bare server uses them
   * too, so that its ceiling is this server's, not a leaner one's.
   */
  static io.vertx.core.http.HttpServerOptions serverOptions(String host, int port) {
    return new io.vertx.core.http.HttpServerOptions()
        .setHost(host)
        .setPort(port)
        .setCompressionSupported(true)
        .setIdleTimeout(120);
  }
}
