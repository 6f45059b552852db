package dev.rollcall.app;

import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.bus.TokenMessages;
import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.embedded.EmbeddedServers;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.GatewayRecord;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code rollcall bench-heartbeat}: authenticated heartbeats against a dev node, and in the same run a
 * bare Vert.x endpoint that only answers 200 (the ceiling of this stack on this machine), both driven by
 * wrk over loopback. Rounds alternate between the two so that machine noise hits both alike; the
 * report gives medians. Runs on the main thread (blocking waits are fine here, never on an event loop).
 */
final class HeartbeatBench {
  private static final Pattern REQS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final int REWARM_SECONDS = 2;
  private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");

  private final int agents;
  private final int connections;
  private final int seconds;
  private final int rounds;
  private final boolean showWrk;
  private final java.io.PrintWriter out;

  HeartbeatBench(int agents, int connections, int seconds, int rounds, boolean showWrk, java.io.PrintWriter out) {
    this.agents = agents;
    this.connections = connections;
    this.seconds = seconds;
    this.rounds = rounds;
    this.showWrk = showWrk;
    this.out = out;
  }

  int run(Map<String, String> env) throws Exception {
    if (!wrkInstalled(out)) {
      return 2;
    }
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.HTTP_HOST, "127.0.0.1");
    settings.put(Setting.HTTP_PORT, String.valueOf(EmbeddedServers.freePort()));
    // Agents are told to heartbeat every 100 ms here, so that with thousands of agents wrk's rate per
    // agent stays near what each is told (the report prints it).
    settings.put(Setting.HEARTBEAT_INTERVAL, "100ms");
    settings.put(Setting.REGISTER_LIMIT_PER_SOURCE, String.valueOf(agents * 2));
    // The agents fall silent for tens of seconds while the bare server's rounds run: the reconciler would
    // rightly suspect all of them, judge them offline and re-provision them, and their return would be a
    // storm of PostgreSQL writes inside the measured rounds. This measures the intake, so the reconciler
    // runs (its ticks, lapse scans and fleet samples cost what they cost) but starts in an outage grace
    // that outlasts the run: it judges no agent's liveness.
    settings.put(Setting.OUTAGE_GRACE, "1h");
    settings.put(Setting.PG_POOL_SIZE, "16");
    RollcallConfig config = RollcallConfig.load(env, java.util.Optional.empty()).with(settings);
    try (Node node = Node.start(config, Node.Mode.DEV, Modules.controlPlane())) {
      String base = node.listeners().get(0).url();
      out.println("registering " + agents + " agents ...");
      out.flush();
      List<String[]> creds = register(node, base);
      Path script = writeScript(creds, 0);
      int barePort = EmbeddedServers.freePort();
      await(node.vertx().deployVerticle(() -> new VerticleBase() {
        @Override
        public Future<?> start() {
          // The node's own server options (compression support included): the ceiling of this server.
          return vertx.createHttpServer(Listener.serverOptions("127.0.0.1", barePort))
              .requestHandler(req -> req.response().end("{}")).listen();
        }
      }, new DeploymentOptions().setInstances(config.httpInstances())));
      String bareUrl = "http://127.0.0.1:" + barePort + "/";

      // Warm-up, both sides: the JIT, and every agent's first heartbeat (which moves it starting -> ready,
      // a PostgreSQL write) on every HTTP event loop, so that the measured rounds see the steady state.
      // Twice over for the heartbeats: every agent's first heartbeat on each event loop reads its record
      // and credential, and its first one at all writes it; the rounds must not pay for that.
      wrk(bareUrl, null, connections, 5);
      wrk(base + "/", script, connections, 10);
      wrk(base + "/", script, connections, 10);
      // Two ceilings: wrk's plain GET, and the very heartbeat requests (same script, headers and
      // bodies), which the bare server reads and answers 200 without looking. The second isolates what
      // the heartbeat path costs on the server, since wrk shares the machine's two cores.
      List<Result> bare = new ArrayList<>();
      List<Result> bareSame = new ArrayList<>();
      List<Result> heartbeat = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        bare.add(wrk(bareUrl, null, connections, seconds));
        bareSame.add(wrk(bareUrl, script, connections, seconds));
        // Back from the bare rounds' silence: a few unmeasured seconds (the connections, the caches) first.
        wrk(base + "/", script, connections, REWARM_SECONDS);
        heartbeat.add(wrk(base + "/", script, connections, seconds));
      }
      double bareRate = median(bare, Result::rate);
      double bareSameRate = median(bareSame, Result::rate);
      double hbRate = median(heartbeat, Result::rate);
      // Half the saturation rate, paced: the same connections, each waiting between requests (wrk's
      // delay()) so that together they offer half of the median saturation rate.
      double target = hbRate / 2;
      double perConnectionGapMs = connections * 1000.0 / target;
      // wrk's timers fire late and each request adds its latency to the gap: one short calibration run
      // scales the gap so that the offered rate lands near the target.
      Result calibration = wrk(base + "/", writeScript(creds, perConnectionGapMs), connections, 3);
      perConnectionGapMs *= calibration.rate() / target;
      Path paced = writeScript(creds, perConnectionGapMs);
      List<Result> light = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        light.add(wrk(base + "/", paced, connections, seconds));
      }
      out.printf("%nheartbeat benchmark: %d agents, %d s x %d rounds, wrk -t2, medians%n", agents, seconds, rounds);
      out.printf("%-40s %12s %9s %9s %8s %12s %22s%n", "target", "req/s", "p50 ms", "p99 ms", "non-2xx", "server µs/req",
        "jvm / redis / pg µs");
      print("bare Vert.x 200, GET (-c" + connections + ")", bare);
      print("bare Vert.x 200, same POSTs (-c" + connections + ")", bareSame);
      print("heartbeat (-c" + connections + ")", heartbeat);
      print("heartbeat, paced to half (-c" + connections + ")", light);
      out.printf("heartbeat / bare (same POSTs) throughput: %.0f %%%n", 100 * hbRate / bareSameRate);
      out.printf("heartbeat / bare (GET) throughput: %.0f %%%n", 100 * hbRate / bareRate);
      // Each round's ratio to its own ceilings, measured within the same half-minute: the ceiling drifts by
      // 10-15 % over minutes on these shared machines, which the ratio of medians above does not cancel.
      out.printf("per round, heartbeat / bare (same POSTs): %s%n", perRound(heartbeat, bareSame));
      out.printf("per round, heartbeat / bare (GET): %s%n", perRound(heartbeat, bare));
      out.printf("bare / heartbeat server CPU per request (same POSTs): %.0f %%%n",
          100 * median(bareSame, Result::cpuMicrosPerRequest) / median(heartbeat, Result::cpuMicrosPerRequest));
      out.printf("paced rate / saturation rate: %.0f %%%n", 100 * median(light, Result::rate) / hbRate);
      out.printf("heartbeats per agent per second at saturation: %.1f (told: every 100 ms)%n", hbRate / agents);
      // wrk counts non-2xx answers but not which: the node's own counter says why heartbeats were refused.
      node.context().meters().find("rollcall.heartbeat.rejected").counters().forEach(c ->
          out.printf("heartbeats refused, %s: %.0f%n", c.getId().getTag("reason"), c.count()));
      out.flush();
      return 0;
    }
  }

  private List<String[]> register(Node node, String base) throws Exception {
    var gateways = node.context().gatewayRepository();
    GatewayRecord gw = await(gateways.create("bench-" + System.nanoTime(), "http://127.0.0.1:1", 1));
    var repo = node.context().agentRepository();
    HttpClient http = HttpClient.newHttpClient();
    List<String[]> creds = new ArrayList<>();
    for (int i = 0; i < agents; i++) {
      AgentRecord agent = await(repo.create(gw.id(), "bench-" + i, 1));
      JsonObject ticket = await(node.vertx().eventBus().<JsonObject>request(Addresses.TOKEN_ISSUE_TICKET,
          new TokenMessages.IssueTicket(agent.id(), 1).toJson())).body();
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/agents/" + agent.id() + "/register"))
          .header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("ticket", ticket.getString("ticket"))
              .put("instanceId", "bench-" + i).encode())).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("register failed: " + r.body());
      }
      creds.add(new String[] {agent.id().toString(), new JsonObject(r.body()).getString("credential")});
    }
    return creds;
  }

  /** A wrk script that walks the agents round-robin, each with its own credential. */
  private static Path writeScript(List<String[]> creds, double gapMs) throws IOException {
    StringBuilder lua = new StringBuilder("local agents = {\n");
    for (String[] c : creds) {
      lua.append("  {\"").append(c[0]).append("\", \"").append(c[1]).append("\"},\n");
    }
    // Requests are formatted once, in init, so that wrk spends its share of the two cores on sending
    // them rather than on Lua string building per request.
    lua.append("}\nlocal requests = {}\nlocal i = 0\n")
        .append("init = function(args)\n")
        .append("  for n, a in ipairs(agents) do\n")
        .append("    requests[n] = wrk.format(\"POST\", \"/api/v1/agents/\" .. a[1] .. \"/heartbeat\",\n")
        .append("      {[\"Content-Type\"] = \"application/json\", [\"X-Agent-Token\"] = a[2]},\n")
        .append("      '{\"status\":\"ready\",\"templateVersion\":1}')\n")
        .append("  end\n")
        .append("end\n")
        .append("request = function()\n")
        .append("  i = (i % #requests) + 1\n")
        .append("  return requests[i]\n")
        .append("end\n");
    if (gapMs > 0) {
      // delay() takes whole milliseconds: dither between floor and ceiling to average the gap.
      lua.append("local gap = ").append(String.format(java.util.Locale.ROOT, "%.3f", gapMs)).append("\n")
          .append("delay = function()\n")
          .append("  local base = math.floor(gap)\n")
          .append("  if math.random() < gap - base then return base + 1 end\n")
          .append("  return base\n")
          .append("end\n");
    }
    Path script = Files.createTempFile("rollcall-heartbeat", ".lua");
    script.toFile().deleteOnExit();
    Files.writeString(script, lua);
    return script;
  }

  private Result wrk(String url, Path script, int conns, int duration) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("wrk", "-t2", "-c" + conns, "-d" + duration + "s", "--latency"));
    if (script != null) {
      cmd.addAll(List.of("-s", script.toString()));
    }
    cmd.add(url);
    long[] cpuBefore = serverCpuNanos();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(duration + 30L, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("wrk failed: " + text);
    }
    long[] cpuAfter = serverCpuNanos();
    if (showWrk) {
      out.println(text);
      out.flush();
    }
    long[] cpu = new long[cpuAfter.length];
    for (int i = 0; i < cpu.length; i++) {
      cpu[i] = cpuAfter[i] - cpuBefore[i];
    }
    Matcher rate = REQS.matcher(text);
    Matcher non2xx = NON2XX.matcher(text);
    double perSecond = rate.find() ? Double.parseDouble(rate.group(1)) : 0;
    double requests = perSecond * duration;
    double[] micros = new double[cpu.length];
    for (int i = 0; i < cpu.length; i++) {
      micros[i] = perSecond == 0 ? Double.NaN : cpu[i] / 1000.0 / requests;
    }
    return new Result(perSecond, latency(text, "50%"), latency(text, "99%"), non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0,
        micros[0] + micros[1] + micros[2], micros[0], micros[1], micros[2]);
  }

  /**
   * CPU time used so far by the server side, split into this JVM, the embedded Redis and the embedded
   * PostgreSQL; wrk excluded. Per request, it is steadier than the throughput ratio on a machine whose
   * two cores the server shares with wrk.
   */
  static long[] serverCpuNanos() {
    long[] split = new long[3];
    split[0] = ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    for (ProcessHandle child : ProcessHandle.current().descendants().toList()) {
      String command = child.info().command().orElse("");
      if (command.contains("redis")) {
        split[1] += child.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
      }
    }
    // The embedded PostgreSQL detaches from this JVM (pg_ctl), so it is found by its binary's path; only
    // the difference around a run counts, so an idle leftover of an earlier run adds nothing.
    for (ProcessHandle process : ProcessHandle.allProcesses().toList()) {
      if (process.info().command().orElse("").contains("/embedded-pg/")) {
        split[2] += process.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
      }
    }
    return split;
  }

  private static double latency(String text, String percentile) {
    Matcher m = Pattern.compile("\\s" + Pattern.quote(percentile) + "\\s+([0-9.]+)(us|ms|s)").matcher(text);
    if (!m.find()) {
      return Double.NaN;
    }
    double v = Double.parseDouble(m.group(1));
    return switch (m.group(2)) {
      case "us" -> v / 1000;
      case "s" -> v * 1000;
      default -> v;
    };
  }

  private void print(String name, List<Result> results) {
    out.printf("%-40s %12.0f %9.2f %9.2f %8d %12.1f %8.1f / %4.1f / %4.1f%n", name, median(results, Result::rate),
        median(results, Result::p50), median(results, Result::p99), results.stream().mapToLong(Result::non2xx).sum(),
        median(results, Result::cpuMicrosPerRequest), median(results, Result::jvmMicros), median(results, Result::redisMicros),
        median(results, Result::postgresMicros));
  }

  /** Each round's heartbeat rate over its baseline's, and their median. */
  private static String perRound(List<Result> heartbeat, List<Result> baseline) {
    List<Double> ratios = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < heartbeat.size(); i++) {
      double ratio = 100 * heartbeat.get(i).rate() / baseline.get(i).rate();
      ratios.add(ratio);
      text.append(String.format(java.util.Locale.ROOT, "%.0f %%, ", ratio));
    }
    Collections.sort(ratios);
    return text.append(String.format(java.util.Locale.ROOT, "median %.0f %%", ratios.get(ratios.size() / 2))).toString();
  }

  private static double median(List<Result> results, java.util.function.ToDoubleFunction<Result> f) {
    List<Double> values = new ArrayList<>(results.stream().map(r -> f.applyAsDouble(r)).toList());
    Collections.sort(values);
    return values.get(values.size() / 2);
  }

  /**
   * Whether wrk can be run; if not, says how to get it. Checked before anything starts: the live
   * benchmark registers its fleet for minutes before its first wrk run.
   */
  static boolean wrkInstalled(java.io.PrintWriter out) {
    try {
      Process p = new ProcessBuilder("wrk", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor();
      return true;
    } catch (java.io.IOException e) {
      out.println("error: this benchmark drives the node with wrk, which is not installed here "
          + "(Debian/Ubuntu: apt-get install wrk)");
      out.flush();
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** Server CPU per request in µs: in all, and split into this JVM, Redis and PostgreSQL. */
  private record Result(double rate, double p50, double p99, long non2xx, double cpuMicrosPerRequest, double jvmMicros,
      double redisMicros, double postgresMicros) {
  }
}
