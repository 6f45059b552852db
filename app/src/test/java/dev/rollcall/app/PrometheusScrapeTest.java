package dev.rollcall.app;

import static dev.rollcall.core.testing.TestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.node.RollcallModule;
import dev.rollcall.core.testing.TestServers;
import dev.rollcall.gatewaysim.GatewaySimModule;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What Prometheus scrapes from a working node: the text exposition format, read line by line as a
 * scraper reads it, every Rollcall sample labelled with its node, and every metric README documents
 * present. Where Debian's {@code promtool} is installed, {@code promtool check metrics} reads it too.
 */
@org.junit.jupiter.api.extension.ExtendWith(dev.rollcall.core.testing.RealServersExtension.class)
class PrometheusScrapeTest {
  private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)(?: -?\\d+)?");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"(,|$)");
  private static final Pattern DOCUMENTED = Pattern.compile("`(rollcall_[a-z_]+)");
  /**
   * Counters of events this scenario does not cause (refusals, rollbacks, an open breaker, an offline
   * verdict): created at their first occurrence, so absent from a healthy node's scrape.
   */
  private static final Set<String> AT_FIRST_EVENT = Set.of("rollcall_heartbeat_rejected_total", "rollcall_dispatches_total",
      "rollcall_dispatch_rollbacks_total", "rollcall_dispatch_breaker_opened_total", "rollcall_reconcile_offline_total",
      "rollcall_reconcile_outage_grace_total");

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aWorkingNodesScrapeParsesAndHoldsEveryDocumentedMetric() throws Exception {
    TestServers servers = TestServers.get();
    Map<Setting, String> settings = new EnumMap<>(ChaosRun.SHORT_TIMEOUTS);
    settings.put(Setting.PG_URL, servers.pgUrl());
    settings.put(Setting.REDIS_URL, servers.redisUrl());
    settings.put(Setting.ADMIN_TOKEN, "scrape-test-admin-token-0123");
    settings.put(Setting.HTTP_HOST, "127.0.0.1");
    settings.put(Setting.HTTP_PORT, "0");
    settings.put(Setting.HTTP_INSTANCES, "1");
    GatewaySimModule sim = new GatewaySimModule(5);
    List<RollcallModule> modules = new ArrayList<>(Modules.controlPlane());
    modules.add(sim);
    try (Node node = Node.start(RollcallConfig.of(settings), Node.Mode.SERVE, modules)) {
      // A small fleet provisioned, woken, registered and heartbeating: most meters have seen their work.
      String prefix = "scrape-" + Long.toHexString(System.nanoTime());
      DevFleet.create(node, sim, new PrintWriter(new StringWriter()), prefix);
      int fleet = DevFleet.GATEWAYS * DevFleet.AGENTS_PER_GATEWAY;
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> await(node.context().pool().preparedQuery(
              "SELECT count(*) FROM agents a JOIN gateways g ON g.id = a.gateway_id WHERE g.name LIKE $1 AND a.lifecycle_status = 'ready'")
          .execute(io.vertx.sqlclient.Tuple.of(prefix + "%"))).iterator().next().getLong(0) == fleet);

      HttpResponse<String> scrape = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(node.listeners().get(0).url() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
      Map<String, String> families = parse(scrape.body(), node.context().nodeId());

      String readme = Files.readString(Path.of("..", "README.md"));
      Set<String> documented = new TreeSet<>();
      Matcher m = DOCUMENTED.matcher(readme.substring(readme.indexOf("## Health and metrics")));
      while (m.find()) {
        documented.add(m.group(1));
      }
      assertThat(documented).hasSizeGreaterThan(20).containsAll(AT_FIRST_EVENT);
      for (String name : documented) {
        if (!AT_FIRST_EVENT.contains(name)) {
          assertThat(families).as("documented metric " + name).containsKey(name);
        }
      }
      promtool(scrape.body());
    }
  }

  /**
   * Reads the exposition format strictly: HELP and TYPE before a family's samples, one TYPE per family,
   * samples of a declared family, well-formed labels, numeric values. Returns family name to type.
   */
  private static Map<String, String> parse(String text, String nodeId) {
    Map<String, String> types = new HashMap<>();
    int samples = 0;
    for (String line : text.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("# TYPE ")) {
        String[] parts = line.split(" ");
        assertThat(parts).as(line).hasSize(4);
        assertThat(parts[3]).as(line).isIn("counter", "gauge", "histogram", "summary", "untyped", "info", "stateset", "gaugehistogram", "unknown");
        assertThat(types.put(parts[2], parts[3])).as("one TYPE for " + parts[2]).isNull();
        continue;
      }
      if (line.startsWith("#")) {
        assertThat(line).as(line).matches("# (HELP|UNIT|EOF)( .*)?");
        continue;
      }
      Matcher sample = SAMPLE.matcher(line);
      assertThat(sample.matches()).as("sample line: " + line).isTrue();
      String name = sample.group(1);
      String family = types.keySet().stream().filter(f -> name.equals(f) || name.startsWith(f + "_")).findFirst().orElse(null);
      assertThat(family).as("a TYPE precedes " + name).isNotNull();
      Map<String, String> labels = labels(sample.group(2), line);
      String value = sample.group(3);
      assertThat(value.matches("[+-]?Inf|NaN") || isNumber(value)).as("value of " + line).isTrue();
      if (name.startsWith("rollcall_")) {
        assertThat(labels).as("node label on " + line).containsEntry("node", nodeId);
      }
      samples++;
    }
    assertThat(samples).isGreaterThan(100);
    // Families by the names README uses: a counter's samples carry _total.
    Map<String, String> byName = new HashMap<>(types);
    types.forEach((family, type) -> {
      if ("counter".equals(type) && !family.endsWith("_total")) {
        byName.put(family + "_total", type);
      }
    });
    return byName;
  }

  private static Map<String, String> labels(String text, String line) {
    Map<String, String> labels = new HashMap<>();
    if (text == null || text.isEmpty()) {
      return labels;
    }
    Matcher m = LABEL.matcher(text);
    int end = 0;
    while (m.find() && m.start() == end) {
      assertThat(labels.put(m.group(1), m.group(2))).as("label once: " + line).isNull();
      end = m.end();
    }
    assertThat(end).as("labels of " + line).isEqualTo(text.length());
    return labels;
  }

  private static boolean isNumber(String value) {
    try {
      Double.parseDouble(value);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static void promtool(String metrics) throws Exception {
    Path promtool = java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
        .map(dir -> Path.of(dir, "promtool")).filter(Files::isExecutable).findFirst().orElse(null);
    if (promtool == null) {
      System.out.println("promtool not installed: its own check of the scrape skipped (apt-get install prometheus)");
      return;
    }
    Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
    p.getOutputStream().write(metrics.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    // promtool exits 3 for lint findings (naming advice such as counters without _total in HELP); 1 is a
    // parse error. The format must parse; the advice is printed.
    assertThat(p.exitValue()).as(output).isNotEqualTo(1);
    if (!output.isBlank()) {
      System.out.println("promtool check metrics says:\n" + output);
    }
  }
}
