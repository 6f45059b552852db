package dev.rollcall.app;

import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.http.NodeRouters;
import dev.rollcall.core.http.RouteContributor;
import dev.rollcall.core.http.RouteScope;
import dev.rollcall.core.node.RollcallModule;
import dev.rollcall.core.testing.TestHttp;
import dev.rollcall.core.testing.TestNode;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document is valid (parsed and validated by vertx-openapi against the OAS meta-schema),
 * lists every route the control plane's router serves and nothing else, and is what
 * {@code GET /api/v1/openapi.yaml} serves.
 */
class OpenApiContractTest {
  private static final Path DOCUMENT = Path.of("..", "core", "src", "main", "resources", NodeRouters.OPENAPI_RESOURCE);
  private TestNode node;

  @BeforeEach
  void setUp() {
    node = TestNode.start(Clock.systemUTC(), Map.of(), Modules.controlPlane());
  }

  @AfterEach
  void tearDown() {
    node.close();
  }

  @Test
  void everyRouteServedIsDocumentedAndEveryDocumentedRouteIsServed() {
    OpenAPIContract contract = await(OpenAPIContract.from(node.vertx(), DOCUMENT.toString()));
    Set<String> documented = new TreeSet<>();
    for (Operation op : contract.operations()) {
      documented.add(op.getHttpMethod().name() + " " + op.getOpenAPIPath());
    }

    List<RouteContributor> contributors = new ArrayList<>();
    RouteScope scope = new RouteScope(node.context());
    for (RollcallModule module : Modules.controlPlane()) {
      contributors.addAll(module.routes(scope));
    }
    Router router = NodeRouters.router(node.vertx(), node.context(), contributors, true, true, rc -> rc.end());
    Set<String> served = new TreeSet<>();
    for (Route route : router.getRoutes()) {
      String path = route.getPath();
      if (route.methods() == null || route.methods().isEmpty()) {
        // Handlers for every method: only the body handler, the 404 (no path), the operator auth on
        // /api/v1/* and the dashboard on /ui/* may be such; anything else must be a documented endpoint.
        assertThat(path == null || path.equals("/api/v1/") || path.equals("/ui/")).as("an undocumented catch-all route: " + path).isTrue();
        continue;
      }
      if (path == null) {
        path = "/ui"; // the dashboard's redirect (a regex route), the only one
      }
      if (path.equals("/ui")) {
        continue; // the dashboard, not the API
      }
      String documentedPath = path.replaceAll(":([A-Za-z]+)", "{$1}");
      route.methods().forEach(m -> served.add(m.name() + " " + documentedPath));
    }

    assertThat(served).as("served but not documented").isSubsetOf(documented);
    assertThat(documented).as("documented but not served").isSubsetOf(served);
    assertThat(served).contains("POST /api/v1/agents/{agentId}/heartbeat", "GET /api/v1/openapi.yaml");
  }

  @Test
  void theDocumentIsServedWithoutATokenAsItIsInTheRepository() throws Exception {
    TestHttp.Response served = node.http().get(NodeRouters.OPENAPI_PATH);
    assertThat(served.status()).isEqualTo(200);
    assertThat(served.header("content-type")).startsWith("application/yaml");
    assertThat(served.body()).isEqualTo(Files.readString(DOCUMENT));
  }
}
