package dev.rollcall.app;

import dev.rollcall.gatewaysim.GatewaySimModule;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;

/**
 * {@code rollcall dev}'s simulated fleet: a few healthy agents on two simulated gateways, created through
 * the operator API like any other, so the dev stack shows agents provisioned, woken, registered and
 * heartbeating from the first minute. Faults are switched on through the simulator's admin API.
 */
final class DevFleet {
  static final int GATEWAYS = 2;
  static final int AGENTS_PER_GATEWAY = 3;

  private DevFleet() {
  }

  static void create(Node node, GatewaySimModule sim, PrintWriter out) {
    create(node, sim, out, "dev");
  }

  /** @param prefix of the gateway names ({@code <prefix>-gw-1}); gateway names are unique per database */
  static void create(Node node, GatewaySimModule sim, PrintWriter out, String prefix) {
    String api = node.listeners().get(0).url();
    OperatorApi operator = new OperatorApi(node.context().config().adminToken().orElseThrow());
    for (int g = 1; g <= GATEWAYS; g++) {
      String name = prefix + "-gw-" + g;
      String gatewayId = operator.call("POST", api + "/api/v1/gateways", new JsonObject().put("name", name)
          .put("baseUrl", sim.url() + "/gw/" + name).put("templateVersion", 1), 201).getString("id");
      for (int a = 1; a <= AGENTS_PER_GATEWAY; a++) {
        operator.call("POST", api + "/api/v1/agents", new JsonObject().put("gatewayId", gatewayId).put("name", name + "-agent-" + a), 202);
      }
    }
    out.println("  Simulated fleet: " + GATEWAYS * AGENTS_PER_GATEWAY + " agents on " + GATEWAYS + " gateways; simulator at "
        + sim.url() + " (GET /sim/state, PUT /sim/faults, POST /sim/gateways/<name>/outage)");
  }
}
