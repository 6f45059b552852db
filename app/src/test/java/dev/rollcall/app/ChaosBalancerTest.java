package dev.rollcall.app;

import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The chaos cluster's balancer in front of two real HTTP servers: new connections alternate between
 * them, and when one goes away every request still lands, on the other, with no wait for a health check.
 */
class ChaosBalancerTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    await(vertx.close());
  }

  private HttpServer server(String name) {
    return await(vertx.createHttpServer().requestHandler(r -> r.response().end(name)).listen(0, "127.0.0.1"));
  }

  /** One request on a fresh connection (no keep-alive): the balancer chooses per connection. */
  private String get(ChaosBalancer balancer) {
    var client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
    try {
      return await(client.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(balancer.url() + "/"))
          .compose(req -> req.send()).compose(resp -> resp.body()).map(Object::toString));
    } finally {
      await(client.close());
    }
  }

  @Test
  void spreadsConnectionsAndFailsOverAtOnceWhenABackendDies() {
    HttpServer a = server("a");
    HttpServer b = server("b");
    ChaosBalancer balancer = ChaosBalancer.listen(vertx, List.of(a.actualPort(), b.actualPort()));

    Map<String, Integer> served = new HashMap<>();
    for (int i = 0; i < 10; i++) {
      served.merge(get(balancer), 1, Integer::sum);
    }
    assertThat(served).containsEntry("a", 5).containsEntry("b", 5);

    await(b.close());
    List<String> after = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      after.add(get(balancer));
    }
    assertThat(after).containsOnly("a").hasSize(10);
    assertThat(balancer.toJson().getJsonObject("connections").getLong(String.valueOf(a.actualPort()))).isEqualTo(15L);
    assertThat(balancer.toJson().getLong("refused")).isZero();
  }
}
