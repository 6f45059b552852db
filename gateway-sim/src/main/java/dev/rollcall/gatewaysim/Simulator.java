package dev.rollcall.gatewaysim;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simulated gateways and their agents. Everything here runs on the simulator verticle's event loop
 * (HTTP handlers and timers alike), so the state needs no locks. Agents talk to the control plane over
 * real HTTP, as a real agent runtime would: register with the bootstrap ticket, heartbeat at the interval
 * they are told, report task starts and acks, and retry with backoff.
 */
final class Simulator {
  private static final Logger LOG = LoggerFactory.getLogger(Simulator.class);

  /**
   * @param slowStart a slow-start agent boots after 0.7 or 1.3 times this (the check-in deadline)
   * @param crashLaterAfter a crash-later agent dies this long (plus up to half again) after registering
   * @param work how long a task takes between its start report and its ack
   */
  record Settings(long seed, Duration slowStart, Duration crashLaterAfter, Duration work, double flakyShare) {
  }

  private final Vertx vertx;
  private final WebClient client;
  private final Settings settings;
  private final Map<String, FaultProfile> plannedByName = new HashMap<>();
  private final Map<String, SimAgent> agents = new LinkedHashMap<>();
  private final Map<String, SimAgent> agentsByName = new HashMap<>();
  private final Map<String, SimGateway> gateways = new LinkedHashMap<>();

  Simulator(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.settings = settings;
    // Vert.x 5: pool sizes are PoolOptions, not client options. Every simulated agent shares this pool, where
    // a real agent has its own connection: at 64 connections, 1,000 heartbeats a second through a balancer
    // (chaos --nodes) queued for up to 2 s in the pool, the control plane heard agents after they had
    // crashed, and crash detection looked 2 s late (BENCHMARKS.md, issue 19). 256 keeps the queue short.
    this.client = WebClient.create(vertx, new WebClientOptions().setConnectTimeout(2_000).setUserAgent("rollcall-gateway-sim"),
        new io.vertx.core.http.PoolOptions().setHttp1MaxSize(256));
  }

  // --- the gateway protocol (docs/gateway-protocol.md) ---------------------------------------------

  SimGateway gateway(String name) {
    return gateways.computeIfAbsent(name, SimGateway::new);
  }

  /** Starts an instance for this provision attempt, replacing instances of older epochs. */
  void provision(String gatewayName, String agentId, JsonObject body) {
    SimAgent agent = agents.computeIfAbsent(agentId, id -> {
      SimAgent created = new SimAgent(id, body.getString("name", id), gatewayName,
          plannedByName.getOrDefault(body.getString("name", id), plannedByName.getOrDefault(id, FaultProfile.HEALTHY)),
          settings.seed());
      agentsByName.put(created.name, created);
      return created;
    });
    long epoch = body.getLong("provisionEpoch", 0L);
    if (epoch < agent.epoch) {
      return; // a late call for a replaced attempt
    }
    agent.instances.stream().filter(i -> i.epoch < epoch).forEach(i -> stop(i, "replaced by provision epoch " + epoch));
    agent.epoch = epoch;
    agent.ticket = body.getString("bootstrapTicket");
    agent.controlPlaneUrl = body.getString("controlPlaneUrl");
    agent.templateVersion = body.getInteger("templateVersion", 1);
    if (agent.running(epoch).isEmpty()) {
      start(agent, epoch);
    }
  }

  /** Wakes the instance of {@code epoch}: starts one if none runs. */
  void wake(String agentId, long epoch) {
    SimAgent agent = agents.get(agentId);
    if (agent == null || epoch != agent.epoch || agent.ticket == null) {
      return;
    }
    agent.wakes++;
    if (agent.running(epoch).isEmpty()) {
      start(agent, epoch);
    }
  }

  int deprovision(String agentId, Long epoch) {
    SimAgent agent = agents.get(agentId);
    if (agent == null) {
      return 0;
    }
    int stopped = 0;
    for (Instance i : agent.instances) {
      if (!i.stopped && (epoch == null || i.epoch == epoch)) {
        stop(i, "deprovisioned");
        stopped++;
      }
    }
    return stopped;
  }

  /** A task start: the answer the gateway gives (seed 04's faults), and the agent's reports after it. */
  JsonObject startTask(String agentId, JsonObject body) {
    SimAgent agent = agents.get(agentId);
    if (agent == null) {
      return new JsonObject().put("started", false).put("reason", "no such agent on this gateway");
    }
    // Counted before any answer: the gateway was asked, whatever it said. One attempt asked twice is a
    // double dispatch (two dispatchers claimed one outbox row), which the chaos report checks.
    String key = body.getString("taskId") + "#" + body.getInteger("attempt", 1);
    agent.startsByAttempt.merge(key, 1, Integer::sum);
    if (agent.profile == FaultProfile.START_FAILURE_ERROR) {
      return null; // answered 500 by the caller
    }
    if (agent.profile == FaultProfile.START_FAILURE_FALSE) {
      return new JsonObject().put("started", false).put("reason", "container exited at once (simulated)");
    }
    long epoch = body.getLong("provisionEpoch", agent.epoch);
    Instance instance = agent.running(epoch).stream().filter(i -> i.credential != null).findFirst().orElse(null);
    if (instance == null) {
      return new JsonObject().put("started", false).put("reason", "no running instance of epoch " + epoch);
    }
    String taskId = body.getString("taskId");
    int attempt = body.getInteger("attempt", 1);
    agent.tasksStarted++;
    vertx.setTimer(20, t -> report(instance, taskId, attempt, "started")
        .onComplete(r -> vertx.setTimer(Math.max(1, settings.work().toMillis()), t2 -> report(instance, taskId, attempt, "ack"))));
    return new JsonObject().put("started", true);
  }

  /** Template sync: a credential in an agent's entry replaces its instance's; stale templates start checking in. */
  int syncTemplates(String gatewayName, JsonObject body) {
    SimGateway gateway = gateway(gatewayName);
    gateway.templateVersion = body.getInteger("templateVersion", gateway.templateVersion);
    int synced = 0;
    for (Object o : body.getJsonArray("agents", new JsonArray())) {
      JsonObject entry = (JsonObject) o;
      SimAgent agent = agents.get(entry.getString("agentId"));
      if (agent == null) {
        continue;
      }
      synced++;
      agent.templateVersion = gateway.templateVersion;
      agent.templatesSynced = true;
      for (Instance i : agent.running(agent.epoch)) {
        if (entry.getString("credential") != null && i.credential != null) {
          i.credential = entry.getString("credential");
          i.endUnauthorized("template sync brought a new credential");
        }
        if (i.waitingForSync) {
          i.waitingForSync = false;
          register(i, 0);
        }
      }
    }
    return synced;
  }

  // --- faults and the admin API --------------------------------------------------------------------

  /** Assigns profiles by agent name (before provisioning) or id (at run time: takes effect at once). */
  void assign(Map<String, FaultProfile> profiles) {
    plannedByName.putAll(profiles);
    // Proportional to the assignment, not to the fleet: a large plan arrives in many pages.
    profiles.forEach((key, p) -> {
      SimAgent agent = agents.containsKey(key) ? agents.get(key) : agentsByName.get(key);
      if (agent != null) {
        agent.profile = p;
        agent.running(agent.epoch).forEach(this::armCrash); // crash-later switched on at run time
      }
    });
  }

  /** The gateway goes dark for {@code duration}: its API refuses, its agents are cut off; then it returns. */
  void outage(String gatewayName, Duration duration) {
    SimGateway gateway = gateway(gatewayName);
    gateway.dark = true;
    gateway.outages.add(new JsonObject().put("from", Instant.now().toString()).put("ms", duration.toMillis()));
    LOG.atWarn().addKeyValue("event", "sim.gateway_dark").addKeyValue("gateway", gatewayName)
        .addKeyValue("ms", duration.toMillis()).log("simulated gateway outage");
    vertx.setTimer(Math.max(1, duration.toMillis()), t -> {
      gateway.dark = false;
      LOG.atInfo().addKeyValue("event", "sim.gateway_back").addKeyValue("gateway", gatewayName).log("simulated gateway back");
    });
  }

  boolean dark(String gatewayName) {
    SimGateway gateway = gateways.get(gatewayName);
    return gateway != null && gateway.dark;
  }

  /** Everything the chaos report needs from the simulator's side. */
  JsonObject snapshot() {
    JsonArray list = new JsonArray();
    for (SimAgent a : agents.values()) {
      JsonArray instances = new JsonArray();
      Map<Long, Integer> registeredPerEpoch = new HashMap<>();
      for (Instance i : a.instances) {
        if (i.registered) {
          registeredPerEpoch.merge(i.epoch, 1, Integer::sum);
        }
        instances.add(new JsonObject().put("instanceId", i.instanceId).put("epoch", i.epoch).put("registered", i.registered)
            .put("stopped", i.stopped).put("stopReason", i.stopReason).put("startedAt", i.startedAt.toString())
            .put("registeredAt", text(i.registeredAt)).put("stoppedAt", text(i.stoppedAt)).put("heartbeatsOk", i.heartbeatsOk)
            .put("lastOkAt", i.lastOkAt == null ? null : i.lastOkAt.toString())
            .put("unauthorizedSince", i.unauthorizedSince == null ? null : i.unauthorizedSince.toString())
            .put("longestUnauthorizedMs", i.longestUnauthorizedMs(Instant.now()))
            .put("unauthorizedStreaks", i.unauthorizedStreaks).put("streaks", i.streaks.copy()));
      }
      list.add(new JsonObject().put("agentId", a.id).put("name", a.name).put("gateway", a.gateway)
          .put("profile", a.profile.wireName()).put("epoch", a.epoch).put("wakes", a.wakes)
          .put("maxRegisteredPerEpoch", registeredPerEpoch.values().stream().mapToInt(Integer::intValue).max().orElse(0))
          .put("crashedAt", a.crashedAt == null ? null : a.crashedAt.toString())
          .put("duplicateRefusals", a.duplicateRefusals).put("tasksStarted", a.tasksStarted).put("tasksAcked", a.tasksAcked)
          .put("maxStartsPerAttempt", a.startsByAttempt.values().stream().mapToInt(Integer::intValue).max().orElse(0))
          .put("instances", instances));
    }
    JsonArray gws = new JsonArray();
    gateways.values().forEach(g -> gws.add(new JsonObject().put("name", g.name).put("dark", g.dark)
        .put("templateVersion", g.templateVersion).put("outages", g.outages)));
    return new JsonObject().put("agents", list).put("gateways", gws);
  }

  // --- an agent's runtime --------------------------------------------------------------------------

  private void start(SimAgent agent, long epoch) {
    int copies = agent.profile == FaultProfile.DOUBLE_BOOT ? 2 : 1;
    for (int c = 0; c < copies; c++) {
      Instance instance = new Instance(agent, epoch, agent.ticket, "sim-" + agent.name + "-e" + epoch + "-" + agent.instances.size());
      agent.instances.add(instance);
      long delay = switch (agent.profile) {
        // Just before or just after the deadline, by a hash of the name: the same agents every run.
        case SLOW_START -> (long) (settings.slowStart().toMillis() * (Math.floorMod(agent.name.hashCode(), 2) == 0 ? 0.7 : 1.3));
        default -> 20 + agent.random.nextInt(150);
      };
      vertx.setTimer(delay, t -> boot(instance));
    }
  }

  private void boot(Instance instance) {
    if (instance.stopped) {
      return;
    }
    SimAgent agent = instance.agent;
    if (agent.profile == FaultProfile.CRASH_ON_BOOT) {
      stop(instance, "crashed during bootstrap (simulated)");
      return;
    }
    if (agent.profile == FaultProfile.STALE_TEMPLATE && !agent.templatesSynced) {
      instance.waitingForSync = true; // ignores the check-in instruction until its templates are synced
      return;
    }
    register(instance, 0);
  }

  private void register(Instance instance, int attempt) {
    if (instance.stopped) {
      return;
    }
    SimAgent agent = instance.agent;
    send(instance, "/api/v1/agents/" + agent.id + "/register", null,
        new JsonObject().put("ticket", instance.ticket).put("instanceId", instance.instanceId))
        .onSuccess(r -> {
          if (instance.stopped) {
            return; // stopped while the call was in flight
          }
          JsonObject body = json(r);
          switch (r.statusCode()) {
            case 200 -> {
              instance.credential = body.getString("credential");
              instance.registered = true;
              instance.registeredAt = Instant.now();
              long interval = body.getLong("heartbeatIntervalMs", 1000L);
              armCrash(instance);
              heartbeat(instance, interval);
            }
            case 409, 410 -> {
              if ("duplicate_instance".equals(body.getString("error"))) {
                agent.duplicateRefusals++;
              }
              stop(instance, "register refused: " + body.getString("error"));
            }
            case 401 -> stop(instance, "ticket refused: " + body.getString("error"));
            default -> retry(instance, attempt, r, () -> register(instance, attempt + 1));
          }
        })
        .onFailure(e -> retry(instance, attempt, null, () -> register(instance, attempt + 1)));
  }

  private void heartbeat(Instance instance, long intervalMs) {
    vertx.setTimer(Math.max(10, intervalMs), t -> beat(instance, intervalMs, 0));
  }

  private void beat(Instance instance, long intervalMs, int attempt) {
    if (instance.stopped) {
      return;
    }
    SimAgent agent = instance.agent;
    if (dark(agent.gateway)) {
      heartbeat(instance, intervalMs); // cut off with its gateway: nothing gets through
      return;
    }
    String status = agent.profile == FaultProfile.STUCK_STARTING ? "starting" : "ready";
    send(instance, "/api/v1/agents/" + agent.id + "/heartbeat", instance.credential,
        new JsonObject().put("status", status).put("templateVersion", agent.templateVersion))
        .onSuccess(r -> {
          if (instance.stopped) {
            return; // the answer to a heartbeat sent before the instance stopped: no process is left to hear it
          }
          JsonObject body = json(r);
          switch (r.statusCode()) {
            case 200 -> {
              instance.heartbeatsOk++;
              instance.lastOkAt = Instant.now();
              instance.endUnauthorized("heartbeat accepted");
              JsonObject successor = body.getJsonObject("successor");
              if (successor != null && successor.getString("credential") != null) {
                instance.credential = successor.getString("credential"); // a credential close to expiry is replaced
              }
              if (agent.profile == FaultProfile.UNAUTHORIZED && !agent.drifted && instance.heartbeatsOk >= 3) {
                agent.drifted = true; // the credential drifts: a wrong one from now on
                instance.credential = instance.credential.substring(0, instance.credential.length() - 1)
                    + (instance.credential.endsWith("A") ? "B" : "A");
              }
              heartbeat(instance, body.getLong("nextHeartbeatMs", intervalMs));
            }
            case 401 -> {
              if (instance.unauthorizedSince == null) {
                instance.unauthorizedSince = Instant.now();
                instance.unauthorizedStreaks++;
              }
              heartbeat(instance, intervalMs); // keeps trying: a real runtime does not give up on its own
            }
            case 409, 410 -> {
              if ("stale_epoch".equals(body.getString("error")) || r.statusCode() == 410) {
                stop(instance, "told to stop: " + body.getString("error"));
              } else {
                heartbeat(instance, intervalMs);
              }
            }
            default -> retry(instance, attempt, r, () -> beat(instance, intervalMs, attempt + 1));
          }
        })
        .onFailure(e -> retry(instance, attempt, null, () -> beat(instance, intervalMs, attempt + 1)));
  }

  /** A task report, retried with backoff until the control plane answers it (200) or refuses it for good (4xx). */
  private Future<Void> report(Instance instance, String taskId, int attempt, String what) {
    return Future.future(done -> report(instance, taskId, attempt, what, 0, done));
  }

  private void report(Instance instance, String taskId, int attempt, String what, int tries, io.vertx.core.Promise<Void> done) {
    if (instance.stopped) {
      done.tryComplete();
      return;
    }
    send(instance, "/api/v1/agents/" + instance.agent.id + "/tasks/" + taskId + "/" + what, instance.credential,
        new JsonObject().put("attempt", attempt).put("result", new JsonObject().put("ok", true)))
        .onSuccess(r -> {
          if (r.statusCode() == 200) {
            if ("ack".equals(what)) {
              instance.agent.tasksAcked++;
            }
            done.tryComplete();
          } else if (r.statusCode() == 429 || r.statusCode() >= 500 || r.statusCode() == 401) {
            retry(instance, tries, r, () -> report(instance, taskId, attempt, what, tries + 1, done));
          } else {
            done.tryComplete(); // superseded, unknown: nothing to report any more
          }
        })
        .onFailure(e -> retry(instance, tries, null, () -> report(instance, taskId, attempt, what, tries + 1, done)));
  }

  /** Backoff 200 ms doubling to 5 s, with jitter; honours Retry-After. */
  private void retry(Instance instance, int attempt, HttpResponse<Buffer> response, Runnable again) {
    if (instance.stopped) {
      return;
    }
    long backoff = Math.min(5_000, 200L << Math.min(attempt, 5));
    long delay = backoff / 2 + instance.agent.random.nextInt((int) Math.max(1, backoff / 2));
    String retryAfter = response == null ? null : response.getHeader("Retry-After");
    if (retryAfter != null) {
      try {
        delay = Math.max(delay, Long.parseLong(retryAfter.trim()) * 1000); // never sooner than told
      } catch (NumberFormatException ignored) {
        // keep the computed delay
      }
    }
    vertx.setTimer(Math.max(1, delay), t -> again.run());
  }

  /** One call to the control plane; a flaky-network agent loses or delays a share of them. */
  private Future<HttpResponse<Buffer>> send(Instance instance, String path, String credential, JsonObject body) {
    SimAgent agent = instance.agent;
    if (dark(agent.gateway)) {
      return Future.failedFuture("cut off: the gateway is dark (simulated outage)");
    }
    if (agent.profile == FaultProfile.FLAKY_NETWORK) {
      double roll = agent.random.nextDouble();
      if (roll < settings.flakyShare()) {
        return Future.failedFuture("dropped (simulated flaky network)");
      }
      if (roll < 2 * settings.flakyShare()) {
        long delay = 50 + agent.random.nextInt(250);
        return Future.future(p -> vertx.setTimer(delay, t -> post(agent, path, credential, body).onComplete(p)));
      }
    }
    return post(agent, path, credential, body);
  }

  private Future<HttpResponse<Buffer>> post(SimAgent agent, String path, String credential, JsonObject body) {
    var request = client.postAbs(agent.controlPlaneUrl + path).timeout(5_000);
    if (credential != null) {
      request.putHeader("X-Agent-Token", credential);
    }
    return request.sendJsonObject(body);
  }

  /** A crash-later agent's registered instance dies once, some time later (also when the fault is switched on at run time). */
  private void armCrash(Instance instance) {
    SimAgent agent = instance.agent;
    if (agent.profile != FaultProfile.CRASH_LATER || agent.crashedAt != null || agent.crashArmed || !instance.registered) {
      return;
    }
    agent.crashArmed = true;
    long after = settings.crashLaterAfter().toMillis();
    vertx.setTimer(after + agent.random.nextInt((int) Math.max(1, after / 2)), t -> {
      agent.crashArmed = false;
      crash(instance);
    });
  }

  private void crash(Instance instance) {
    if (instance.stopped || instance.agent.crashedAt != null) {
      return;
    }
    instance.agent.crashedAt = Instant.now();
    stop(instance, "crashed (simulated crash-later)");
  }

  private void stop(Instance instance, String reason) {
    if (!instance.stopped) {
      instance.endUnauthorized("instance stopped: " + reason);
      instance.stopped = true;
      instance.stoppedAt = Instant.now();
      instance.stopReason = reason;
      LOG.atDebug().addKeyValue("event", "sim.instance_stopped").addKeyValue("agent_id", instance.agent.id)
          .addKeyValue("instance", instance.instanceId).addKeyValue("reason", reason).log("simulated instance stopped");
    }
  }

  private static String text(Instant at) {
    return at == null ? null : at.toString();
  }

  private static JsonObject json(HttpResponse<Buffer> r) {
    try {
      JsonObject body = r.bodyAsJsonObject();
      return body == null ? new JsonObject() : body;
    } catch (RuntimeException e) {
      return new JsonObject();
    }
  }

  void close() {
    client.close();
  }

  // --- state ---------------------------------------------------------------------------------------

  static final class SimGateway {
    final String name;
    boolean dark;
    int templateVersion = 1;
    final JsonArray outages = new JsonArray();

    SimGateway(String name) {
      this.name = name;
    }
  }

  static final class SimAgent {
    final String id;
    final String name;
    final String gateway;
    /** This agent's own randomness, from the seed and its name: the same agent behaves the same in every run. */
    final Random random;
    FaultProfile profile;
    long epoch;
    String ticket;
    String controlPlaneUrl;
    int templateVersion = 1;
    int wakes;
    boolean drifted;
    boolean crashArmed;
    /** A template sync reached this agent: a stale-template agent checks in from then on. */
    boolean templatesSynced;
    Instant crashedAt;
    int duplicateRefusals;
    int tasksStarted;
    int tasksAcked;
    /** Start requests per task attempt ({@code taskId#attempt}): more than one is a double dispatch. */
    final Map<String, Integer> startsByAttempt = new HashMap<>();
    final List<Instance> instances = new ArrayList<>();

    SimAgent(String id, String name, String gateway, FaultProfile profile, long seed) {
      this.id = id;
      this.name = name;
      this.gateway = gateway;
      this.profile = profile;
      this.random = new Random(seed ^ name.hashCode());
    }

    List<Instance> running(long epoch) {
      return instances.stream().filter(i -> !i.stopped && i.epoch == epoch).toList();
    }
  }

  static final class Instance {
    static final int MAX_STREAKS_KEPT = 8;
    final SimAgent agent;
    final long epoch;
    final String ticket;
    final String instanceId;
    String credential;
    final Instant startedAt = Instant.now();
    boolean registered;
    Instant registeredAt;
    boolean stopped;
    Instant stoppedAt;
    String stopReason;
    boolean waitingForSync;
    int heartbeatsOk;
    Instant lastOkAt;
    Instant unauthorizedSince;
    long longestUnauthorizedMs;
    int unauthorizedStreaks;

    /** The first streaks of this instance, for a report that explains a violation (bounded: an instance may flap). */
    final JsonArray streaks = new JsonArray();

    /** A 401 streak ends (a good answer, a new credential, or the instance stops): remember it and the longest. */
    void endUnauthorized(String how) {
      if (unauthorizedSince != null) {
        long ms = java.time.Duration.between(unauthorizedSince, Instant.now()).toMillis();
        longestUnauthorizedMs = Math.max(longestUnauthorizedMs, ms);
        if (streaks.size() < MAX_STREAKS_KEPT) {
          streaks.add(new JsonObject().put("from", unauthorizedSince.toString()).put("ms", ms).put("ended", how));
        }
        unauthorizedSince = null;
      }
    }

    long longestUnauthorizedMs(Instant now) {
      return unauthorizedSince == null ? longestUnauthorizedMs
          : Math.max(longestUnauthorizedMs, java.time.Duration.between(unauthorizedSince, now).toMillis());
    }

    Instance(SimAgent agent, long epoch, String ticket, String instanceId) {
      this.agent = agent;
      this.epoch = epoch;
      this.ticket = ticket;
      this.instanceId = instanceId;
    }
  }
}
