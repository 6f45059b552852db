package dev.rollcall.app;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import java.io.FileNotFoundException;

/**
 * The Hazelcast configuration of {@code serve --cluster}: Vert.x's own defaults (its {@code __vertx.*}
 * maps) with TCP-IP discovery from the settings, or a file an operator provides instead.
 */
final class ClusterConfigs {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ClusterConfigs.class);
  /**
   * Seconds without a heartbeat before Hazelcast drops a member. Its default is 60 s; a control plane
   * must hand a dead node's event-bus consumers to the others sooner than its suspicion window.
   */
  static final int MAX_NO_HEARTBEAT_SECONDS = 10;
  /** How soon, and how often, split halves of the cluster look for each other to merge. */
  static final int MERGE_DELAY_SECONDS = 30;

  private ClusterConfigs() {
  }

  /** Start-up code, on the main thread (it may read the operator's file), never on an event loop. */
  static Config hazelcast(RollcallConfig config) {
    if (config.hazelcastConfig().isPresent()) {
      String file = config.hazelcastConfig().get();
      try {
        return Config.loadFromFile(new java.io.File(file));
      } catch (FileNotFoundException | RuntimeException e) {
        throw new StartupException("cannot read " + Setting.HAZELCAST_CONFIG.env() + " file " + file + ": " + Node.rootMessage(e), e);
      }
    }
    Config hz = ConfigUtil.loadConfig();
    hz.setClusterName(config.clusterName());
    hz.setProperty("hazelcast.logging.type", "slf4j");
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    // Node.close leaves the cluster through Vert.x; Hazelcast's own hook would race it at shutdown.
    hz.setProperty("hazelcast.shutdownhook.enabled", "false");
    hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    hz.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(MAX_NO_HEARTBEAT_SECONDS));
    // With members dropped after 10 s, a long pause or a simultaneous start can split the cluster; Hazelcast
    // merges the halves only after 300 s by default. A control plane should be whole again within a minute.
    hz.setProperty("hazelcast.merge.first.run.delay.seconds", String.valueOf(MERGE_DELAY_SECONDS));
    hz.setProperty("hazelcast.merge.next.run.delay.seconds", String.valueOf(MERGE_DELAY_SECONDS));
    NetworkConfig network = hz.getNetworkConfig();
    network.setPort(config.clusterPort()).setPortAutoIncrement(true);
    network.setPublicAddress(config.clusterHost());
    if (isIpLiteral(config.clusterHost())) {
      // Bind where the others are told to connect (tests and single hosts: 127.0.0.1).
      network.getInterfaces().setEnabled(true).addInterface(config.clusterHost());
      hz.setProperty("hazelcast.socket.bind.any", "false");
    }
    boolean loopback = config.clusterHost().startsWith("127.") || "localhost".equals(config.clusterHost());
    if (loopback && config.clusterMembers().stream().map(m -> m.split(":")[0])
        .anyMatch(h -> !h.startsWith("127.") && !"localhost".equals(h))) {
      // Bound to loopback, this member cannot be reached by the others: it would form a cluster of one.
      LOG.atWarn().addKeyValue("event", "cluster.loopback_host").addKeyValue("cluster_host", config.clusterHost())
          .log("{} is a loopback address but {} names other hosts: set {} to an address they can reach",
              Setting.CLUSTER_HOST.env(), Setting.CLUSTER_MEMBERS.env(), Setting.CLUSTER_HOST.env());
    }
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(config.clusterMembers());
    return hz;
  }

  private static boolean isIpLiteral(String host) {
    return host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
  }
}
