package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.embedded.EmbeddedServers;
import dev.rollcall.core.testing.RealServersExtension;
import dev.rollcall.core.testing.TestHttp;
import dev.rollcall.core.testing.TestServers;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** serve with ROLLCALL_AGENT_PORT and ROLLCALL_ADMIN_PORT: the operator side is off the agent port. */
@ExtendWith(RealServersExtension.class)
class SplitListenersTest {

  @Test
  void agentAndOperatorRoutesLandOnTheirOwnPorts(TestServers servers) {
    int agentPort = EmbeddedServers.freePort();
    int adminPort = EmbeddedServers.freePort();
    RollcallConfig config = RollcallConfig.of(Map.of(
        Setting.PG_URL, servers.pgUrl(),
        Setting.REDIS_URL, servers.redisUrl(),
        Setting.HTTP_HOST, "127.0.0.1",
        Setting.AGENT_PORT, String.valueOf(agentPort),
        Setting.ADMIN_PORT, String.valueOf(adminPort),
        Setting.ADMIN_TOKEN, NodeHttpTest.ADMIN_TOKEN,
        Setting.HTTP_INSTANCES, "1"));
    try (Node node = Node.start(config, Node.Mode.SERVE, List.of(new ProbeModule()))) {
      TestHttp agent = new TestHttp("http://127.0.0.1:" + agentPort);
      TestHttp admin = new TestHttp("http://127.0.0.1:" + adminPort);
      String operatorPath = "/api/v1/probe/operator/3f2b8f4e-5b7a-4d8e-9c1a-2b3c4d5e6f70";

      assertThat(agent.post("/api/v1/probe/agent", "{\"name\":\"ada\"}", Map.of()).status()).isEqualTo(200);
      assertThat(agent.get(operatorPath).status()).isEqualTo(404);
      assertThat(agent.get("/metrics").status()).isEqualTo(404);
      assertThat(agent.get("/health/ready").status()).isEqualTo(200);

      assertThat(admin.get(operatorPath).status()).isEqualTo(401);
      assertThat(admin.get(operatorPath, NodeHttpTest.ADMIN).status()).isEqualTo(200);
      // On the admin port everything under /api/v1 is operator API: no token, 401; with it, no such route.
      assertThat(admin.post("/api/v1/probe/agent", "{\"name\":\"ada\"}", Map.of()).status()).isEqualTo(401);
      assertThat(admin.post("/api/v1/probe/agent", "{\"name\":\"ada\"}", NodeHttpTest.ADMIN).status()).isEqualTo(404);
      assertThat(admin.get("/metrics").status()).isEqualTo(200);
      assertThat(admin.get("/health/ready").status()).isEqualTo(200);
    }
  }
}
