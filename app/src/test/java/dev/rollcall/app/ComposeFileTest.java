package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.node.RollcallModule;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * No Docker engine runs where the tests run, so the compose stack is checked here: it parses, every
 * Rollcall service's settings load as Rollcall would load them, its modules exist, the cluster's member
 * list and the agents' URL name real services, and Prometheus scrapes every node. Where Debian's
 * {@code docker-compose} or {@code promtool} is installed, their own validators run as well.
 */
class ComposeFileTest {
  private static final Path ROOT = Path.of("..");
  private static final Pattern VERTICLES = Pattern.compile("--verticles[ =]+([a-z,-]+)");
  private static final Pattern INTERPOLATION = Pattern.compile("\\$\\{([A-Z_]+):-([^}]*)}");

  private static Map<String, Object> services;
  private static Map<String, Map<String, String>> rollcall;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void load() throws IOException {
    Map<String, Object> compose = new Yaml().load(Files.readString(ROOT.resolve("docker-compose.yml")));
    services = (Map<String, Object>) compose.get("services");
    rollcall = new LinkedHashMap<>();
    services.forEach((name, definition) -> {
      Map<String, Object> service = (Map<String, Object>) definition;
      if ("rollcall:dev".equals(service.get("image"))) {
        rollcall.put(name, environment(service));
      }
    });
  }

  @Test
  void theBackingServicesAndSeveralClusteredRollcallNodesWithDifferentModulesAreThere() {
    assertThat(services).containsKeys("postgres", "redis", "prometheus");
    assertThat(rollcall).hasSizeGreaterThanOrEqualTo(3);
    Set<Set<String>> moduleSets = new HashSet<>();
    Set<String> everyModule = new HashSet<>();
    for (String name : rollcall.keySet()) {
      String command = command(name);
      assertThat(command).as(name).contains("serve").contains("--cluster");
      Matcher verticles = VERTICLES.matcher(command);
      assertThat(verticles.find()).as(name + " names its modules").isTrue();
      // The very parser serve uses: an unknown name fails here as it would at start.
      Set<String> modules = Modules.select(verticles.group(1)).stream().map(RollcallModule::name).collect(Collectors.toSet());
      moduleSets.add(modules);
      everyModule.addAll(modules);
    }
    assertThat(moduleSets).as("nodes run different module sets").hasSizeGreaterThanOrEqualTo(2);
    assertThat(everyModule).as("the stack runs every module somewhere").containsAll(Modules.NAMES);
  }

  @Test
  void chaosAcrossNodesSpreadsTheModulesAsThisFileDoes() {
    for (int n = 1; n <= 3; n++) {
      assertThat(Set.of(ClusterPlan.verticles(n).split(","))).as("chaos --nodes: node " + n + " runs what rollcall-" + n + " runs")
          .isEqualTo(modulesOf("rollcall-" + n));
    }
  }

  @Test
  void everyRollcallServicesSettingsLoadAsRollcallLoadsThem() {
    Set<String> known = Arrays.stream(Setting.values()).map(Setting::env).collect(Collectors.toSet());
    rollcall.forEach((name, env) -> {
      for (String key : env.keySet()) {
        if (key.startsWith("ROLLCALL_")) {
          assertThat(known).as(name + ": " + key + " is a Rollcall setting").contains(key);
        }
      }
      RollcallConfig config = RollcallConfig.load(env, Optional.empty());
      assertThat(config.pgUrl()).as(name).isPresent();
      assertThat(config.redisUrl()).as(name).isPresent();
      assertThat(config.adminToken()).as(name + ": serve needs the admin token").isPresent();
      assertThat(env).as(name + ": cluster host set (literally, or found at start)")
          .satisfiesAnyOf(e -> assertThat(e).containsKey(Setting.CLUSTER_HOST.env()),
              e -> assertThat(entrypoint(name)).contains(Setting.CLUSTER_HOST.env() + "="));
    });
  }

  @Test
  void theClusterMembersAndTheAgentsUrlAreRealServicesRunningWhatTheyNeed() {
    rollcall.forEach((name, env) -> {
      RollcallConfig config = RollcallConfig.load(env, Optional.empty());
      for (String member : config.clusterMembers()) {
        String host = member.split(":")[0];
        assertThat(rollcall).as(name + ": member " + host).containsKey(host);
        assertThat(rollcall.get(host).get(Setting.CLUSTER_HOST.env())).as(host + " announces the name it is listed under").isEqualTo(host);
      }
      String agentsHost = URI.create(config.publicUrl()).getHost();
      assertThat(rollcall).as(name + ": agents' URL " + config.publicUrl()).containsKey(agentsHost);
      assertThat(modulesOf(agentsHost)).as("the agent-facing node").contains("heartbeat", "token");
    });
    for (Object definition : services.values()) {
      Object dependsOn = ((Map<?, ?>) definition).get("depends_on");
      Iterable<?> targets = dependsOn instanceof Map<?, ?> m ? m.keySet() : dependsOn instanceof List<?> l ? l : List.of();
      for (Object target : targets) {
        assertThat(services).containsKey(String.valueOf(target));
      }
    }
    // The simulator's gateways must be reachable from the provisioners of other nodes.
    String simulator = rollcall.keySet().stream().filter(n -> modulesOf(n).contains("gateway-sim")).findFirst().orElseThrow();
    String simUrl = rollcall.get(simulator).get(Setting.SIM_PUBLIC_URL.env());
    assertThat(simUrl).isNotNull();
    assertThat(rollcall.get(simulator).get(Setting.SIM_HOST.env())).as("the simulator listens beyond loopback").isEqualTo("0.0.0.0");
    assertThat(rollcall).containsKey(URI.create(simUrl).getHost());
    assertThat(command(simulator)).contains("--sim-fleet");
  }

  @Test
  @SuppressWarnings("unchecked")
  void prometheusScrapesEveryRollcallNode() throws IOException {
    Map<String, Object> prometheusService = (Map<String, Object>) services.get("prometheus");
    String mount = ((List<String>) prometheusService.get("volumes")).get(0);
    Path config = ROOT.resolve(mount.split(":")[0]);
    assertThat(config).exists();
    Map<String, Object> prometheus = new Yaml().load(Files.readString(config));
    Set<String> scraped = new HashSet<>();
    for (Object job : (List<Object>) prometheus.get("scrape_configs")) {
      Map<String, Object> j = (Map<String, Object>) job;
      assertThat(j.get("metrics_path")).isEqualTo("/metrics");
      for (Object sc : (List<Object>) j.getOrDefault("static_configs", List.of())) {
        for (Object target : (List<Object>) ((Map<String, Object>) sc).get("targets")) {
          assertThat(String.valueOf(target)).endsWith(":8080");
          scraped.add(String.valueOf(target).split(":")[0]);
        }
      }
      for (Object dns : (List<Object>) j.getOrDefault("dns_sd_configs", List.of())) {
        assertThat(((Map<String, Object>) dns).get("port")).isEqualTo(8080);
        ((List<Object>) ((Map<String, Object>) dns).get("names")).forEach(n -> scraped.add(String.valueOf(n)));
      }
    }
    assertThat(scraped).as("every Rollcall node is scraped, nothing else").isEqualTo(rollcall.keySet());
  }

  @Test
  @SuppressWarnings("unchecked")
  void grafanasDashboardQueriesOnlyMetricsRollcallDocuments() throws IOException {
    Map<String, Object> grafana = (Map<String, Object>) services.get("grafana");
    for (Object volume : (List<Object>) grafana.get("volumes")) {
      assertThat(ROOT.resolve(String.valueOf(volume).split(":")[0])).exists();
    }
    Map<String, Object> datasources = new Yaml().load(Files.readString(ROOT.resolve("deploy/grafana/provisioning/datasources/prometheus.yml")));
    String url = String.valueOf(((Map<String, Object>) ((List<Object>) datasources.get("datasources")).get(0)).get("url"));
    assertThat(services).containsKey(URI.create(url).getHost());

    String readme = Files.readString(ROOT.resolve("README.md"));
    Set<String> documented = new HashSet<>();
    Matcher d = Pattern.compile("`(rollcall_[a-z_]+)").matcher(readme);
    while (d.find()) {
      documented.add(d.group(1));
    }
    io.vertx.core.json.JsonObject dashboard = new io.vertx.core.json.JsonObject(Files.readString(ROOT.resolve("deploy/grafana/dashboards/rollcall.json")));
    assertThat(dashboard.getJsonArray("panels")).isNotEmpty();
    for (Object panel : dashboard.getJsonArray("panels")) {
      for (Object target : ((io.vertx.core.json.JsonObject) panel).getJsonArray("targets")) {
        String expr = ((io.vertx.core.json.JsonObject) target).getString("expr");
        // Whole-fleet gauges are published by every reconciler node: summing them counts the fleet once per node.
        for (String fleetWide : List.of("rollcall_agents", "rollcall_gateways_unreachable", "rollcall_reconcile_due_depth",
            "rollcall_reconcile_due_lag_seconds")) {
          assertThat(expr).as(expr).doesNotContainPattern("sum\\s*(by\\s*\\([^)]*\\)\\s*)?\\(\\s*" + fleetWide + "\\b");
        }
        Matcher metric = Pattern.compile("rollcall_[a-z_]+").matcher(expr);
        assertThat(metric.find()).as(expr).isTrue();
        do {
          String name = metric.group().replaceAll("_bucket$", "");
          assertThat(documented).as("panel query " + expr).contains(name);
        } while (metric.find());
      }
    }
  }

  @Test
  void theImageIsBuiltFromThisRepositorysJar() throws IOException {
    String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
    assertThat(dockerfile).contains("./mvnw").contains("app/target/rollcall.jar").contains("ENTRYPOINT");
    rollcall.keySet().forEach(name -> assertThat(((Map<?, ?>) services.get(name)).get("build")).as(name).isEqualTo("."));
  }

  /** Debian's docker-compose and promtool, where installed (not on CI machines: the checks above are). */
  @Test
  void theComposeAndPrometheusValidatorsAcceptTheFilesWhereInstalled() throws Exception {
    Optional<Path> compose = onPath("docker-compose");
    if (compose.isPresent()) {
      assertThat(run(compose.get().toString(), "-f", "docker-compose.yml", "config", "-q")).isEqualTo("");
    } else {
      System.out.println("docker-compose not installed: its own validation skipped (apt-get install docker-compose)");
    }
    Optional<Path> promtool = onPath("promtool");
    if (promtool.isPresent()) {
      assertThat(run(promtool.get().toString(), "check", "config", "deploy/prometheus.yml")).contains("SUCCESS");
    } else {
      System.out.println("promtool not installed: its own validation skipped (apt-get install prometheus)");
    }
  }

  private static String run(String... command) throws Exception {
    Path log = Files.createTempFile("validator", ".txt");
    Process p = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command) + " finished").isTrue();
    String output = Files.readString(log);
    Files.delete(log);
    assertThat(p.exitValue()).as(String.join(" ", command) + ": " + output).isZero();
    return output.trim();
  }

  private static Optional<Path> onPath(String binary) {
    return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
        .map(dir -> Path.of(dir, binary)).filter(Files::isExecutable).findFirst();
  }

  private static Set<String> modulesOf(String service) {
    Matcher m = VERTICLES.matcher(command(service));
    assertThat(m.find()).isTrue();
    return Set.of(m.group(1).split(","));
  }

  /** The command line a service runs: command, or the entrypoint's shell line. */
  private static String command(String service) {
    Map<?, ?> s = (Map<?, ?>) services.get(service);
    Object command = s.get("command");
    return command != null ? String.join(" ", ((List<?>) command).stream().map(String::valueOf).toList()) : entrypoint(service);
  }

  private static String entrypoint(String service) {
    Object entrypoint = ((Map<?, ?>) services.get(service)).get("entrypoint");
    return entrypoint == null ? "" : String.join(" ", ((List<?>) entrypoint).stream().map(String::valueOf).toList());
  }

  /** A service's environment with ${VAR:-default} as compose resolves it when VAR is unset. */
  private static Map<String, String> environment(Map<String, Object> service) {
    Map<String, String> env = new HashMap<>();
    Object e = service.get("environment");
    if (e instanceof Map<?, ?> map) {
      map.forEach((k, v) -> {
        Matcher m = INTERPOLATION.matcher(String.valueOf(v));
        env.put(String.valueOf(k), m.replaceAll(r -> Matcher.quoteReplacement(r.group(2))));
      });
    }
    return env;
  }
}
