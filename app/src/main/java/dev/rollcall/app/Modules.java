package dev.rollcall.app;

import dev.rollcall.core.node.RollcallModule;
import dev.rollcall.gatewaysim.GatewaySimModule;
import dev.rollcall.heartbeat.HeartbeatModule;
import dev.rollcall.provisioner.ProvisionerModule;
import dev.rollcall.reconciler.ReconcilerModule;
import dev.rollcall.token.TokenModule;
import java.util.ArrayList;
import java.util.List;

/** The modules a node runs, in deployment order. */
final class Modules {
  private Modules() {
  }

  /**
   * The control plane's own modules. Heartbeat first: routes are tried in this order, and heartbeats
   * are nearly all of the traffic (nothing else depends on the order).
   */
  static List<RollcallModule> controlPlane() {
    return List.of(new HeartbeatModule(), new TokenModule(), new ProvisionerModule(), new ReconcilerModule(), new DashboardModule());
  }

  /** Dev: the control plane and the gateway simulator in one JVM. */
  static List<RollcallModule> dev() {
    List<RollcallModule> all = new ArrayList<>(controlPlane());
    all.add(new GatewaySimModule());
    return List.copyOf(all);
  }
}
