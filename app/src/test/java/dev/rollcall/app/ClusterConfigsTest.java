package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Hazelcast configuration serve --cluster builds from the settings, or reads from a file. */
class ClusterConfigsTest {

  @Test
  void settingsGiveTcpIpDiscoveryWithoutMulticastAndKeepVertxsMaps() {
    Map<Setting, String> s = new EnumMap<>(Setting.class);
    s.put(Setting.CLUSTER_MEMBERS, "rollcall-1, rollcall-2:5702,,");
    s.put(Setting.CLUSTER_HOST, "rollcall-2");
    s.put(Setting.CLUSTER_PORT, "5702");
    s.put(Setting.CLUSTER_NAME, "fleet-a");
    Config hz = ClusterConfigs.hazelcast(RollcallConfig.of(s));
    assertThat(hz.getClusterName()).isEqualTo("fleet-a");
    assertThat(hz.getNetworkConfig().getJoin().getMulticastConfig().isEnabled()).isFalse();
    assertThat(hz.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled()).isTrue();
    assertThat(hz.getNetworkConfig().getJoin().getTcpIpConfig().getMembers()).containsExactly("rollcall-1", "rollcall-2:5702");
    assertThat(hz.getNetworkConfig().getPort()).isEqualTo(5702);
    assertThat(hz.getNetworkConfig().getPublicAddress()).isEqualTo("rollcall-2");
    // A host name is announced but not bound to: Hazelcast picks the interface (containers).
    assertThat(hz.getNetworkConfig().getInterfaces().isEnabled()).isFalse();
    assertThat(hz.getMultiMapConfigs()).containsKey("__vertx.subs");
    assertThat(hz.getProperty("hazelcast.max.no.heartbeat.seconds")).isEqualTo(String.valueOf(ClusterConfigs.MAX_NO_HEARTBEAT_SECONDS));
    assertThat(hz.getProperty("hazelcast.merge.first.run.delay.seconds")).isEqualTo(String.valueOf(ClusterConfigs.MERGE_DELAY_SECONDS));
  }

  @Test
  void aHazelcastFileReplacesTheSettingsAndAMissingOneIsAClearStartupError(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("hazelcast.yaml");
    Files.writeString(file, """
        hazelcast:
          cluster-name: from-file
          network:
            join:
              multicast:
                enabled: false
              tcp-ip:
                enabled: true
                member-list:
                  - 10.0.0.7
        """);
    Config hz = ClusterConfigs.hazelcast(RollcallConfig.of(Map.of(Setting.HAZELCAST_CONFIG, file.toString())));
    assertThat(hz.getClusterName()).isEqualTo("from-file");
    assertThat(hz.getNetworkConfig().getJoin().getTcpIpConfig().getMembers()).containsExactly("10.0.0.7");

    assertThatThrownBy(() -> ClusterConfigs.hazelcast(RollcallConfig.of(Map.of(Setting.HAZELCAST_CONFIG, dir.resolve("nope.xml").toString()))))
        .isInstanceOf(StartupException.class).hasMessageContaining("ROLLCALL_HAZELCAST_CONFIG").hasMessageContaining("nope.xml");
  }
}
