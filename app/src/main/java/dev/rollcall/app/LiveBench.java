package dev.rollcall.app;

import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.bus.TokenMessages;
import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import dev.rollcall.core.embedded.EmbeddedServers;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.AgentRepository;
import dev.rollcall.core.persistence.GatewayRecord;
import dev.rollcall.heartbeat.HeartbeatModule;
import dev.rollcall.token.TokenModule;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * {@code rollcall bench-live}: a large registered fleet heartbeating live at the production settings on
 * one node, while a share of it crashes. Not a test: it reports the node's CPU, heartbeat latency, how
 * late each crash was judged offline, and every offline verdict for an agent that never stopped (a false
 * offline, which fails the run).
 *
 * <p>Two node starts over one pair of embedded servers. First a node with only the heartbeat and token
 * modules registers the fleet through the real paths (create, bootstrap ticket over the event bus,
 * {@code POST .../register}, a first heartbeat that moves the agent to {@code ready}); without a
 * reconciler nobody judges the early agents while the late ones register. Then the full node (every
 * control-plane module and the gateway simulator, production defaults) and wrk, whose Lua script gives
 * each agent its own credential and an absolute schedule: agent k's heartbeats are due at
 * {@code start + c x interval + (k / N) x interval}, so the fleet offers an even N / interval per second
 * rather than whatever wrk can push. A crashed agent's heartbeats stop at its crash time; the reconciler
 * judges it offline and re-provisions it on the simulator, whose agent registers and heartbeats again.
 *
 * <p>A warm-up wrk run covers the reconciler's outage grace (the node's start-up, when no liveness is
 * judged, and the first lapse scan of a fleet that was silent while the node restarted); the measured
 * run follows without a gap in the schedule. Runs on the main thread and its own worker threads
 * (blocking waits are fine here, never on an event loop).
 */
final class LiveBench {
  private static final Pattern SUMMARY = Pattern.compile(
      "rollcall-summary requests=(\\d+) p50=(\\d+) p99=(\\d+) p999=(\\d+) max=(\\d+) non2xx=(\\d+) errors=(\\d+)");
  private static final Pattern THREAD = Pattern.compile("rollcall-thread sent=(\\d+) late=(\\d+) maxlag=(-?\\d+) skipped=(\\d+)");
  private static final int WRK_THREADS = 2;
  /** Concurrent registrations in the first phase (each a few PostgreSQL transactions). */
  private static final int REGISTER_WORKERS = 32;

  record Options(int agents, int gateways, Duration duration, double crashPercent, int connections, long seed) {
  }

  private final Options options;
  private final PrintWriter out;

  LiveBench(Options options, PrintWriter out) {
    this.options = options;
    this.out = out;
  }

  int run(Map<String, String> env) throws Exception {
    if (!HeartbeatBench.wrkInstalled(out)) {
      return 2;
    }
    if (!env.containsKey("ROLLCALL_LOG_LEVEL")) {
      // Every lifecycle transition is logged at INFO: 100,000 registrations would be 300,000 lines.
      ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
          .setLevel(ch.qos.logback.classic.Level.WARN);
    }
    RollcallConfig base = RollcallConfig.load(env, Optional.empty());
    int simPort = EmbeddedServers.freePort();
    try (EmbeddedServers servers = EmbeddedServers.start(base.pgUrl().isEmpty(), base.redisUrl().isEmpty())) {
      Map<Setting, String> shared = new EnumMap<>(Setting.class);
      if (servers.pgUrl() != null) {
        shared.put(Setting.PG_URL, servers.pgUrl());
      }
      if (servers.redisUrl() != null) {
        shared.put(Setting.REDIS_URL, servers.redisUrl());
      }
      shared.put(Setting.HTTP_HOST, "127.0.0.1");
      // Every agent registers from 127.0.0.1 here (the bench, then the simulator's re-provisioned ones):
      // the per-source limit guards against one misbehaving host, which this is not.
      shared.put(Setting.REGISTER_LIMIT_PER_SOURCE, String.valueOf(Math.max(120, options.agents() * 2)));
      RollcallConfig config = base.with(shared);

      Path data = Files.createTempFile("rollcall-live", ".txt");
      data.toFile().deleteOnExit();
      List<String[]> fleet = registerFleet(config, simPort);

      Map<Setting, String> live = new EnumMap<>(Setting.class);
      live.put(Setting.HTTP_PORT, String.valueOf(EmbeddedServers.freePort()));
      live.put(Setting.SIM_PORT, String.valueOf(simPort));
      try (Node node = Node.start(config.with(live), Node.Mode.DEV, Modules.dev())) {
        return live(node, fleet, data);
      }
    }
  }

  /** Phase one: gateways on the simulator's future address, the fleet created and registered. */
  private List<String[]> registerFleet(RollcallConfig config, int simPort) throws Exception {
    // Registration only: twice the default pool for the 32 registering workers (the live node that
    // follows runs the default).
    Map<Setting, String> port = Map.of(Setting.HTTP_PORT, String.valueOf(EmbeddedServers.freePort()),
        Setting.PG_POOL_SIZE, String.valueOf(REGISTER_WORKERS / 2));
    try (Node node = Node.start(config.with(port), Node.Mode.DEV, List.of(new HeartbeatModule(), new TokenModule()))) {
      String url = node.listeners().get(0).url();
      List<GatewayRecord> gateways = new ArrayList<>();
      for (int g = 0; g < options.gateways(); g++) {
        String name = "live-" + g;
        gateways.add(await(node.context().gatewayRepository().create(name,
            "http://127.0.0.1:" + simPort + "/gw/" + name, 1)));
      }
      out.printf("registering %d agents on %d gateways ...%n", options.agents(), options.gateways());
      out.flush();
      long began = System.nanoTime();
      String[][] fleet = new String[options.agents()][];
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      AtomicInteger done = new AtomicInteger();
      ExecutorService workers = Executors.newFixedThreadPool(REGISTER_WORKERS);
      try {
        List<java.util.concurrent.Future<?>> jobs = new ArrayList<>();
        for (int w = 0; w < REGISTER_WORKERS; w++) {
          int worker = w;
          jobs.add(workers.submit(() -> {
            for (int i = worker; i < options.agents(); i += REGISTER_WORKERS) {
              fleet[i] = register(node, http, url, gateways.get(i % gateways.size()), i);
              int n = done.incrementAndGet();
              if (n % 10_000 == 0) {
                out.printf("  %d registered%n", n);
                out.flush();
              }
            }
            return null;
          }));
        }
        for (var job : jobs) {
          job.get();
        }
      } finally {
        workers.shutdownNow();
      }
      double seconds = (System.nanoTime() - began) / 1e9;
      out.printf("registered %d agents in %.0f s (%.0f per second: create, ticket, register, first heartbeat)%n",
          options.agents(), seconds, options.agents() / seconds);
      out.printf("  mean per agent: create %.1f ms, ticket %.1f ms, register %.1f ms, first heartbeat %.1f ms (%d at a time)%n",
          stepNanos.get(0) / 1e6 / options.agents(), stepNanos.get(1) / 1e6 / options.agents(),
          stepNanos.get(2) / 1e6 / options.agents(), stepNanos.get(3) / 1e6 / options.agents(), REGISTER_WORKERS);
      out.flush();
      return List.of(fleet);
    }
  }

  /** Time spent in each registration step, over every worker: create, ticket, register, first heartbeat. */
  private final java.util.concurrent.atomic.AtomicLongArray stepNanos = new java.util.concurrent.atomic.AtomicLongArray(4);

  private String[] register(Node node, HttpClient http, String url, GatewayRecord gateway, int i) throws Exception {
    long t0 = System.nanoTime();
    AgentRecord agent = await(node.context().agentRepository().create(gateway.id(), "live-" + i, 1));
    long t1 = System.nanoTime();
    JsonObject ticket = await(node.vertx().eventBus().<JsonObject>request(Addresses.TOKEN_ISSUE_TICKET,
        new TokenMessages.IssueTicket(agent.id(), agent.provisionEpoch()).toJson())).body();
    long t2 = System.nanoTime();
    HttpResponse<String> registered = post(http, url + "/api/v1/agents/" + agent.id() + "/register", null,
        new JsonObject().put("ticket", ticket.getString("ticket")).put("instanceId", "live-" + i));
    if (registered.statusCode() != 200) {
      throw new IllegalStateException("register of live-" + i + " answered " + registered.statusCode() + ": " + registered.body());
    }
    String credential = new JsonObject(registered.body()).getString("credential");
    long t3 = System.nanoTime();
    HttpResponse<String> beat = post(http, url + "/api/v1/agents/" + agent.id() + "/heartbeat", credential,
        new JsonObject().put("status", "ready").put("templateVersion", 1));
    if (beat.statusCode() / 100 != 2) {
      throw new IllegalStateException("first heartbeat of live-" + i + " answered " + beat.statusCode() + ": " + beat.body());
    }
    long t4 = System.nanoTime();
    stepNanos.addAndGet(0, t1 - t0);
    stepNanos.addAndGet(1, t2 - t1);
    stepNanos.addAndGet(2, t3 - t2);
    stepNanos.addAndGet(3, t4 - t3);
    return new String[] {agent.id().toString(), credential};
  }

  private static HttpResponse<String> post(HttpClient http, String url, String credential, JsonObject body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (credential != null) {
      request.header("X-Agent-Token", credential);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Phase two: the warm-up, the measured run with its crashes, and the verdicts read back. */
  private int live(Node node, List<String[]> fleet, Path data) throws Exception {
    RollcallConfig config = node.context().config();
    long interval = config.heartbeatInterval().toMillis();
    Duration detectionBound = config.leaseTtl().plus(config.suspicionWindow()).plusSeconds(1);
    // The warm-up outlasts the outage grace by a heartbeat interval and the suspicion window: by its end
    // the reconciler has judged every agent's liveness at least once at full strength.
    Duration warmUp = config.outageGrace().plus(config.heartbeatInterval()).plus(config.suspicionWindow());
    long liveStartedAt = System.currentTimeMillis();
    long start = liveStartedAt + 3_000;
    long measuredFrom = start + warmUp.toMillis();
    long measuredUntil = measuredFrom + options.duration().toMillis();
    // Crashes fall in the measured run, early enough for their verdict and recovery to land inside it.
    long crashFrom = measuredFrom + config.heartbeatInterval().toMillis();
    long crashUntil = Math.max(crashFrom + 1, measuredUntil - detectionBound.toMillis() - 30_000);
    Random random = new Random(options.seed());
    int crashes = (int) Math.round(options.agents() * options.crashPercent() / 100);
    Map<Integer, Long> crashAt = new HashMap<>();
    while (crashAt.size() < crashes) {
      crashAt.putIfAbsent(random.nextInt(fleet.size()), crashFrom + (long) (random.nextDouble() * (crashUntil - crashFrom)));
    }
    StringBuilder lines = new StringBuilder(fleet.size() * 90);
    for (int k = 0; k < fleet.size(); k++) {
      lines.append(fleet.get(k)[0]).append(' ').append(fleet.get(k)[1]).append(' ').append(crashAt.getOrDefault(k, 0L)).append('\n');
    }
    Files.writeString(data, lines);
    Path script = writeScript(data, fleet.size(), start, interval);
    String url = node.listeners().get(0).url() + "/";

    out.printf("live: %d agents heartbeating every %d ms (%.0f per second), warm-up %d s, measured %d s, "
        + "%d crashes between %d s and %d s of the measured run%n", fleet.size(), interval, fleet.size() * 1000.0 / interval,
        warmUp.toSeconds(), options.duration().toSeconds(), crashes, (crashFrom - measuredFrom) / 1000, (crashUntil - measuredFrom) / 1000);
    out.flush();
    WrkRun warm = wrk(url, script, (measuredFrom - System.currentTimeMillis()) / 1000.0);
    out.printf("warm-up: %s%n", warm.describe());
    out.flush();
    double[] machineBefore = machineCpu();
    long[] nodeBefore = HeartbeatBench.serverCpuNanos();
    long measuredStartNanos = System.nanoTime();
    WrkRun measured = wrk(url, script, (measuredUntil - System.currentTimeMillis()) / 1000.0);
    double window = (System.nanoTime() - measuredStartNanos) / 1e9;
    long[] nodeAfter = HeartbeatBench.serverCpuNanos();
    double[] machineAfter = machineCpu();
    Instant measuredEnd = Instant.now();

    // Every liveness verdict of the live phase, in one query (a few per crashed agent, none otherwise).
    Set<UUID> crashed = new HashSet<>();
    Map<UUID, Long> crashedAtById = new HashMap<>();
    crashAt.forEach((k, at) -> {
      UUID id = UUID.fromString(fleet.get(k)[0]);
      crashed.add(id);
      crashedAtById.put(id, at);
    });
    Map<UUID, Instant> detected = new HashMap<>();
    int falseOffline = 0;
    int falseSuspect = 0;
    List<String> falseExamples = new ArrayList<>();
    for (Row r : await(node.context().pool().preparedQuery("SELECT e.agent_id, e.name, e.at, a.name FROM lifecycle_events e "
            + "JOIN agents a ON a.id = e.agent_id WHERE e.at >= $1 AND e.at <= $2 AND e.name = ANY($3) ORDER BY e.at")
        .execute(Tuple.of(AgentRepository.utc(Instant.ofEpochMilli(liveStartedAt)), AgentRepository.utc(measuredEnd),
            new String[] {LifecycleTrigger.LEASE_EXPIRED.eventName(), LifecycleTrigger.LEASE_LAPSED.eventName()})))) {
      UUID id = r.getUUID(0);
      Instant at = r.getOffsetDateTime(2).toInstant();
      Long crashedAt = crashedAtById.get(id);
      boolean afterCrash = crashedAt != null && at.toEpochMilli() >= crashedAt;
      boolean expired = LifecycleTrigger.LEASE_EXPIRED.eventName().equals(r.getString(1));
      if (afterCrash) {
        if (expired) {
          detected.putIfAbsent(id, at);
        }
      } else if (expired) {
        falseOffline++;
        if (falseExamples.size() < 10) {
          falseExamples.add(r.getString(3) + " judged offline at " + at + (crashedAt == null ? " (never crashed)"
              : " (before its crash at " + Instant.ofEpochMilli(crashedAt) + ")"));
        }
      } else {
        falseSuspect++;
      }
    }
    List<Long> detection = new ArrayList<>();
    List<Long> sinceLastBeat = new ArrayList<>();
    crashAt.forEach((k, at) -> {
      Instant verdict = detected.get(UUID.fromString(fleet.get(k)[0]));
      if (verdict != null) {
        detection.add(verdict.toEpochMilli() - at);
        sinceLastBeat.add(verdict.toEpochMilli() - lastDueBefore(at, start, interval, k, fleet.size()));
      }
    });
    int recovered = 0;
    if (!crashed.isEmpty()) {
      Row row = await(node.context().pool().preparedQuery("SELECT count(*) FROM agents WHERE id = ANY($1) AND lifecycle_status = $2")
          .execute(Tuple.of(crashed.toArray(new UUID[0]), LifecycleStatus.READY.wireName()))).iterator().next();
      recovered = row.getLong(0).intValue();
    }
    Map<String, Long> statuses = new java.util.TreeMap<>();
    for (Row r : await(node.context().pool().query("SELECT lifecycle_status, count(*) FROM agents GROUP BY 1").execute())) {
      statuses.put(r.getString(0), r.getLong(1));
    }

    JsonObject detectionMs = ChaosRun.percentiles(detection);
    JsonObject sinceLastBeatMs = ChaosRun.percentiles(sinceLastBeat);
    double nodeCores = (nodeAfter[0] + nodeAfter[1] + nodeAfter[2] - nodeBefore[0] - nodeBefore[1] - nodeBefore[2]) / 1e9 / window;
    double machineCores = (machineAfter[0] - machineBefore[0]) / (machineAfter[1] - machineBefore[1])
        * Runtime.getRuntime().availableProcessors();
    out.printf("%nlive benchmark: %d agents, %d gateways, heartbeat every %d ms, lease %d s, suspicion %d s, measured %.0f s, seed %d%n",
        fleet.size(), options.gateways(), interval, config.leaseTtl().toSeconds(), config.suspicionWindow().toSeconds(), window,
        options.seed());
    out.printf("heartbeats: %s%n", measured.describe());
    out.printf("node CPU: %.2f cores (JVM %.2f, Redis %.2f, PostgreSQL %.2f); machine busy %.2f of %d cores (wrk %.2f)%n", nodeCores,
        (nodeAfter[0] - nodeBefore[0]) / 1e9 / window, (nodeAfter[1] - nodeBefore[1]) / 1e9 / window,
        (nodeAfter[2] - nodeBefore[2]) / 1e9 / window, machineCores, Runtime.getRuntime().availableProcessors(),
        measured.cpuSeconds() / window);
    out.printf("memory: JVM peak RSS %s, Redis RSS %s%n", megabytes(status("self", "VmHWM")), megabytes(redisRss()));
    out.printf("crashed %d: detected %d, detection p50/p99/max %s/%s/%s ms (bound lease + suspicion + 1 s = %d ms), "
        + "from the last heartbeat p50/p99 %s/%s ms; ready again %d%n", crashes, detected.size(), detectionMs.getValue("p50"),
        detectionMs.getValue("p99"), detectionMs.getValue("max"), detectionBound.toMillis(), sinceLastBeatMs.getValue("p50"),
        sinceLastBeatMs.getValue("p99"), recovered);
    out.printf("false offline verdicts: %d; suspicions of agents that never stopped: %d%n", falseOffline, falseSuspect);
    falseExamples.forEach(e -> out.println("  " + e));
    out.printf("agents by status at the end: %s%n", statuses);
    node.context().meters().find("rollcall.heartbeat.rejected").counters().forEach(c ->
        out.printf("heartbeats refused, %s: %.0f%n", c.getId().getTag("reason"), c.count()));

    List<String> failures = new ArrayList<>();
    if (falseOffline > 0) {
      failures.add(falseOffline + " false offline verdicts");
    }
    if (detected.size() < crashes) {
      failures.add((crashes - detected.size()) + " crashes never judged offline");
    }
    Long p99 = detectionMs.getLong("p99");
    if (p99 != null && p99 > detectionBound.toMillis()) {
      failures.add("detection p99 " + p99 + " ms over its bound " + detectionBound.toMillis() + " ms");
    }
    out.println(failures.isEmpty() ? "passed" : "FAILED: " + String.join("; ", failures));
    out.flush();
    return failures.isEmpty() ? 0 : 1;
  }

  /** The due time of agent k's last heartbeat before its crash (the script skips every one due at or after it). */
  static long lastDueBefore(long crashAt, long start, long interval, int k, int agents) {
    double offset = (double) k / agents * interval;
    long cycles = (long) Math.ceil((crashAt - start - offset) / interval) - 1;
    return (long) (start + cycles * interval + offset);
  }

  /**
   * The wrk script: each wrk thread reads the fleet file and keeps every T-th agent, with its request
   * formatted once (wrk's share of the two cores goes to sending, not to Lua string building). Slots are
   * taken in due order; delay() waits for the slot's due time on the wall clock (LuaJIT's ffi, since
   * wrk's own clock is not exposed), request() sends the oldest slot taken. The first slot is the first
   * one due from now, so a second run continues the first one's schedule.
   */
  private static Path writeScript(Path data, int agents, long start, long interval) throws IOException {
    String lua = """
        local ffi = require("ffi")
        ffi.cdef[[
          typedef struct { long tv_sec; long tv_usec; } rollcall_timeval;
          int gettimeofday(rollcall_timeval *tv, void *tz);
        ]]
        local tv = ffi.new("rollcall_timeval")
        local function now_ms()
          ffi.C.gettimeofday(tv, nil)
          return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
        end
        local DATA, N, START, INTERVAL, THREADS = "%s", %d, %d, %d, %d

        local threads, created = {}, 0
        function setup(thread)
          thread:set("id", created)
          created = created + 1
          table.insert(threads, thread)
        end

        local reqs, offsets, crash = {}, {}, {}
        local m, n = 0, 0
        local qj, qd, qh, qt = {}, {}, 1, 0
        sent, late, maxlag, skipped = 0, 0, -1e9, 0

        function init(args)
          local k = 0
          for line in io.lines(DATA) do
            if k %% THREADS == id then
              local agent, credential, crash_at = line:match("^(%%S+) (%%S+) (%%d+)$")
              m = m + 1
              reqs[m] = wrk.format("POST", "/api/v1/agents/" .. agent .. "/heartbeat",
                {["Content-Type"] = "application/json", ["X-Agent-Token"] = credential},
                '{"status":"ready","templateVersion":1}')
              offsets[m] = k / N * INTERVAL
              local c = tonumber(crash_at)
              if c > 0 then crash[m] = c end
            end
            k = k + 1
          end
          local since = now_ms() - START
          if since > 0 then
            local cycle = math.floor(since / INTERVAL)
            local j = 1
            while j <= m and offsets[j] < since - cycle * INTERVAL do j = j + 1 end
            n = cycle * m + j - 1
          end
        end

        local function take()
          for _ = 0, m do
            local j = n %% m + 1
            local due = START + math.floor(n / m) * INTERVAL + offsets[j]
            n = n + 1
            local c = crash[j]
            if c == nil or due < c then return j, due end
            skipped = skipped + 1
          end
          error("every agent of this wrk thread has crashed")
        end

        function delay()
          local j, due = take()
          qt = qt + 1
          qj[qt], qd[qt] = j, due
          local wait = due - now_ms()
          if wait <= 0 then return 0 end
          return math.floor(wait)
        end

        function request()
          local j, due
          if qh <= qt then
            j, due = qj[qh], qd[qh]
            qj[qh], qd[qh] = nil, nil
            qh = qh + 1
          else
            j, due = take()
          end
          local lag = now_ms() - due
          if lag > maxlag then maxlag = lag end
          if lag > 1000 then late = late + 1 end
          sent = sent + 1
          return reqs[j]
        end

        function done(summary, latency, requests)
          local e = summary.errors
          io.write(string.format("rollcall-summary requests=%%d p50=%%d p99=%%d p999=%%d max=%%d non2xx=%%d errors=%%d\\n",
            summary.requests, latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
            e.status, e.connect + e.read + e.write + e.timeout))
          for _, t in ipairs(threads) do
            io.write(string.format("rollcall-thread sent=%%d late=%%d maxlag=%%d skipped=%%d\\n",
              t:get("sent"), t:get("late"), math.floor(t:get("maxlag")), t:get("skipped")))
          end
        end
        """.formatted(data.toString(), agents, start, interval, WRK_THREADS);
    Path script = Files.createTempFile("rollcall-live", ".lua");
    script.toFile().deleteOnExit();
    Files.writeString(script, lua);
    return script;
  }

  private WrkRun wrk(String url, Path script, double seconds) throws Exception {
    long duration = Math.max(1, Math.round(seconds));
    Process p = new ProcessBuilder("wrk", "-t" + WRK_THREADS, "-c" + options.connections(), "-d" + duration + "s",
        "--timeout", "10s", "-s", script.toString(), url).redirectErrorStream(true).start();
    // wrk's CPU, read while it runs (a process that exited has none to read); the last second is lost.
    double cpu = 0;
    while (!p.waitFor(1, TimeUnit.SECONDS)) {
      cpu = p.toHandle().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(cpu);
    }
    String text = new String(p.getInputStream().readAllBytes());
    Matcher summary = SUMMARY.matcher(text);
    if (p.exitValue() != 0 || !summary.find()) {
      throw new IllegalStateException("wrk failed (exit " + p.exitValue() + "): " + text);
    }
    long sent = 0;
    long lateCount = 0;
    long maxLag = Long.MIN_VALUE;
    long skipped = 0;
    Matcher thread = THREAD.matcher(text);
    while (thread.find()) {
      sent += Long.parseLong(thread.group(1));
      lateCount += Long.parseLong(thread.group(2));
      maxLag = Math.max(maxLag, Long.parseLong(thread.group(3)));
      skipped += Long.parseLong(thread.group(4));
    }
    return new WrkRun(duration, Long.parseLong(summary.group(1)), Long.parseLong(summary.group(2)) / 1000.0,
        Long.parseLong(summary.group(3)) / 1000.0, Long.parseLong(summary.group(4)) / 1000.0,
        Long.parseLong(summary.group(5)) / 1000.0, Long.parseLong(summary.group(6)), Long.parseLong(summary.group(7)),
        sent, lateCount, maxLag, skipped, cpu);
  }

  /** One wrk run: latency in ms (from the write of a request to its answer), and how far the schedule slipped. */
  private record WrkRun(long seconds, long requests, double p50, double p99, double p999, double max, long non2xx, long errors,
      long sent, long late, long maxLagMs, long skipped, double cpuSeconds) {
    String describe() {
      return String.format(java.util.Locale.ROOT, "%d in %d s (%.0f/s), latency p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, "
          + "max %.1f ms; non-2xx %d, socket errors %d; sent later than due by more than 1 s: %d, most late %d ms; "
          + "crashed agents' heartbeats skipped: %d", requests, seconds, requests / (double) seconds, p50, p99, p999, max,
          non2xx, errors, late, maxLagMs, skipped);
    }
  }

  /** Busy and total jiffies of the whole machine, from /proc/stat's first line. */
  private static double[] machineCpu() throws IOException {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    double total = 0;
    for (int i = 1; i < f.length && i <= 8; i++) {
      total += Double.parseDouble(f[i]);
    }
    double idle = Double.parseDouble(f[4]) + Double.parseDouble(f[5]);
    return new double[] {total - idle, total};
  }

  /** A field of /proc/PID/status in kB, or -1. */
  private static long status(String pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  private static long redisRss() {
    return ProcessHandle.current().descendants().filter(p -> p.info().command().orElse("").contains("redis"))
        .mapToLong(p -> status(String.valueOf(p.pid()), "VmRSS")).max().orElse(-1);
  }

  private static String megabytes(long kilobytes) {
    return kilobytes < 0 ? "unknown" : (kilobytes / 1024) + " MB";
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
