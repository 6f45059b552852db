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

  /** The names {@code serve --verticles} accepts, in deployment order. */
  static final List<String> NAMES = List.of(HeartbeatModule.NAME, TokenModule.NAME, ProvisionerModule.NAME,
      ReconcilerModule.NAME, DashboardModule.NAME, GatewaySimModule.NAME);

  /**
   * {@code serve --verticles}: the named modules, in deployment order whatever the order given. Any
   * module may run on several nodes at once (the due queue, single flight and optimistic concurrency
   * keep that correct), and a node without a module still serves health and metrics.
   */
  static List<RollcallModule> select(String names) {
    return select(names, GatewaySimModule.DEFAULT_SEED);
  }

  /** {@link #select(String)}, with the gateway simulator's agents seeded with {@code simSeed}. */
  static List<RollcallModule> select(String names, long simSeed) {
    List<String> wanted = new ArrayList<>();
    for (String name : names.split(",")) {
      String n = name.trim();
      if (n.isEmpty()) {
        continue;
      }
      if (!NAMES.contains(n)) {
        throw new IllegalArgumentException("unknown verticle '" + n + "'; choose from " + String.join(",", NAMES));
      }
      wanted.add(n);
    }
    if (wanted.isEmpty()) {
      throw new IllegalArgumentException("--verticles names none; choose from " + String.join(",", NAMES));
    }
    List<RollcallModule> selected = new ArrayList<>();
    List<RollcallModule> all = new ArrayList<>(controlPlane());
    all.add(new GatewaySimModule(simSeed));
    for (RollcallModule module : all) {
      if (wanted.contains(module.name())) {
        selected.add(module);
      }
    }
    return List.copyOf(selected);
  }

  /** Dev: the control plane and the gateway simulator in one JVM. */
  static List<RollcallModule> dev() {
    List<RollcallModule> all = new ArrayList<>(controlPlane());
    all.add(new GatewaySimModule());
    return List.copyOf(all);
  }
}
