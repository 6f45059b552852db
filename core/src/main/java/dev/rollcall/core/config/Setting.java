package dev.rollcall.core.config;

/**
 * Every configuration setting: its key in the JSON config file, its environment variable, its default
 * and what it means. Precedence: default &lt; JSON file ({@code ROLLCALL_CONFIG} or {@code --config})
 * &lt; environment. README's configuration table is this enum.
 */
public enum Setting {
  PG_URL("pgUrl", Kind.URL, null,
      "PostgreSQL URL (postgresql://user:password@host:port/database). Unset in dev: an embedded server is started."),
  REDIS_URL("redisUrl", Kind.URL, null,
      "Redis URL (redis://host:port/db). Unset in dev: an embedded server is started."),
  HTTP_HOST("httpHost", Kind.STRING, "0.0.0.0", "Interface the HTTP listeners bind to."),
  HTTP_PORT("httpPort", Kind.PORT, "8080",
      "The one port that serves agent API, operator API, health and metrics (0 picks a free port)."),
  AGENT_PORT("agentPort", Kind.PORT, null,
      "serve only: a separate port for the agent-facing API and health; requires ROLLCALL_ADMIN_PORT."),
  ADMIN_PORT("adminPort", Kind.PORT, null,
      "serve only: a separate port for the operator API, health and metrics; requires ROLLCALL_AGENT_PORT."),
  HTTP_INSTANCES("httpInstances", Kind.POSITIVE_INT, String.valueOf(Math.max(1, Runtime.getRuntime().availableProcessors())),
      "Instances of the HTTP verticle (event loops serving requests)."),
  BODY_LIMIT("bodyLimitBytes", Kind.POSITIVE_INT, "65536", "Largest request body accepted; larger ones get 413."),
  CHECKIN_DEADLINE("checkinDeadline", Kind.DURATION, "30s",
      "Seed 01: how long after each wake the agent has to check in before it is woken again."),
  MAX_WAKE_ATTEMPTS("maxWakeAttempts", Kind.POSITIVE_INT, "3",
      "Seed 01: wakes without a check-in before the agent is marked offline and escalation stops."),
  MAX_TRANSITION("maxTransition", Kind.DURATION, "2m",
      "Seed 02: how long after registration a starting agent with a fresh heartbeat is promoted to ready."),
  HEARTBEAT_INTERVAL("heartbeatInterval", Kind.DURATION, "10s",
      "Interval the control plane asks agents to heartbeat at (jitter is added per answer)."),
  LAST_SEEN_WRITE_EVERY("lastSeenWriteEvery", Kind.DURATION, "60s",
      "How often a steady agent's last_seen_at reaches PostgreSQL; liveness itself is a Redis lease (3 heartbeat intervals) refreshed by every heartbeat."),
  PG_POOL_SIZE("pgPoolSize", Kind.POSITIVE_INT, "8", "PostgreSQL connections per Rollcall node."),
  BUS_TIMEOUT("busTimeout", Kind.DURATION, "5s",
      "Send timeout of event-bus requests; shorter than any HTTP timeout above it."),
  STARTUP_CHECK_TIMEOUT("startupCheckTimeout", Kind.DURATION, "10s",
      "serve: how long to wait for PostgreSQL and Redis at start-up before failing with a clear message."),
  ADMIN_TOKEN("adminToken", Kind.SECRET, null,
      "Bearer token of the operator API (at least 16 characters). Required by serve; dev generates one and prints it once. Never logged."),
  TICKET_TTL("ticketTtl", Kind.DURATION, "10m", "How long a bootstrap ticket can be redeemed."),
  ROTATION_GRACE("rotationGrace", Kind.DURATION, "5m",
      "After a successful template sync with rotation, how long the old credential stays valid unless the new one is used first."),
  CREDENTIAL_LIFETIME("credentialLifetime", Kind.DURATION, null,
      "Lifetime of agent credentials; unset means they do not expire. Agents are handed a successor well before expiry."),
  REGISTER_LIMIT_PER_AGENT("registerLimitPerAgent", Kind.POSITIVE_INT, "10",
      "Register attempts per agent per minute before 429."),
  REGISTER_LIMIT_PER_SOURCE("registerLimitPerSource", Kind.POSITIVE_INT, "120",
      "Register attempts per source address per minute before 429."),
  GATEWAY_TIMEOUT("gatewayTimeout", Kind.DURATION, "5s", "Timeout of every call Rollcall makes to a gateway."),
  PUBLIC_URL("publicUrl", Kind.URL, null,
      "The control plane's URL as agents reach it, handed to gateways at provision; default http://<httpHost>:<agent port>."),
  TASK_MAX_ATTEMPTS("taskMaxAttempts", Kind.POSITIVE_INT, "5",
      "Dispatch attempts per task; a task whose starts keep failing ends failed with the last reason."),
  TASK_RETRY_BACKOFF("taskRetryBackoff", Kind.DURATION, "2s",
      "Wait before a rolled-back task is dispatched again; doubles per attempt, at most 64 times this."),
  START_CONFIRM_WINDOW("startConfirmWindow", Kind.DURATION, "15s",
      "After a task start times out, how long a report from that attempt can still confirm it before it is rolled back (seed 04)."),
  DISPATCH_INTERVAL("dispatchInterval", Kind.DURATION, "500ms",
      "How often each node's dispatcher looks for queued tasks and unsettled starts (new tasks are dispatched at once)."),
  BREAKER_FAILURES("breakerFailures", Kind.POSITIVE_INT, "3",
      "Consecutive failed task starts on a gateway that open its circuit breaker (dispatches to it pause)."),
  BREAKER_COOLDOWN("breakerCooldown", Kind.DURATION, "5s",
      "How long an open breaker waits before one probe dispatch; doubles while probes fail, at most 12 times this."),
  SUSPICION_WINDOW("suspicionWindow", Kind.DURATION, "20s",
      "After an agent's lease lapses (3 heartbeat intervals), how long it is only suspect before the offline verdict: a late heartbeat or a short blip causes no churn. At least 1.1 x heartbeatInterval + 2 x fleetSampleInterval + reconcileInterval (checked at start)."),
  RECOVERY_PROBE("recoveryProbe", Kind.DURATION_OR_OFF, "5m",
      "After the last wake without a check-in put an agent offline, when the reconciler re-provisions it to see whether the cause is fixed; doubles per probe. off: seed 01's exact behaviour (escalation stops for good)."),
  RECOVERY_PROBE_MAX("recoveryProbeMax", Kind.DURATION, "1h", "The longest wait between two recovery probes of one agent."),
  OUTAGE_GRACE("outageGrace", Kind.DURATION, "60s",
      "After the control plane's own outage (reconciler start, Redis or PostgreSQL unavailable, Redis data lost, a cluster member lost or leaving), how long every agent gets before its liveness is judged."),
  GATEWAY_SILENT_SHARE("gatewaySilentSharePercent", Kind.PERCENT, "55",
      "Share of a gateway's running agents (at least 3) that, silent together, mark the gateway unreachable: its agents are then re-provisioned one probe at a time. When every gateway is that silent, no offline verdicts are made at all."),
  REPROVISION_RATE("reprovisionsPerMinute", Kind.POSITIVE_INT, "120",
      "Re-provisions the reconciler starts per gateway per minute (a token bucket shared by every node; repeat wakes are bounded by maxWakeAttempts instead)."),
  REPROVISION_BURST("reprovisionBurst", Kind.POSITIVE_INT, "20", "Size of that token bucket: how many may start at once."),
  RECONCILE_INTERVAL("reconcileInterval", Kind.DURATION, "500ms",
      "How often each reconciler claims due items and scans for lapsed leases (a full batch is followed at once by the next)."),
  RECONCILE_BATCH("reconcileBatch", Kind.POSITIVE_INT, "500", "Due items one reconciler claims at a time."),
  CLAIM_VISIBILITY("claimVisibility", Kind.DURATION, "30s",
      "How long a claimed due item stays hidden from other reconcilers; a claim whose node died is taken again after it."),
  SWEEP_INTERVAL("sweepInterval", Kind.DURATION, "60s",
      "How often the anti-entropy sweep reads every agent from PostgreSQL and re-queues what the due queue lost."),
  FLEET_SAMPLE_INTERVAL("fleetSampleInterval", Kind.DURATION, "2s",
      "How often the reconciler counts agents per gateway and status: gateway reachability, metrics, grace after Redis data loss."),
  STUCK_BUSY_AFTER("stuckBusyAfter", Kind.DURATION, "60s",
      "How long an agent may stay busy without a live task before the reconciler returns it to ready."),
  CLUSTER_HOST("clusterHost", Kind.STRING, "127.0.0.1",
      "serve --cluster: the address this node's Hazelcast member and event bus bind to and announce to the others (in compose, the service name)."),
  CLUSTER_PORT("clusterPort", Kind.PORT, "5701", "serve --cluster: the Hazelcast member port; the next ones are tried when it is taken."),
  CLUSTER_MEMBERS("clusterMembers", Kind.STRING, "127.0.0.1",
      "serve --cluster: Hazelcast TCP-IP members to join, host or host:port, comma-separated (multicast is off)."),
  CLUSTER_NAME("clusterName", Kind.STRING, "rollcall", "serve --cluster: nodes only join members of the same cluster name."),
  EVENT_BUS_PORT("eventBusPort", Kind.PORT, "0", "serve --cluster: the clustered event bus's TCP port (0 picks a free one)."),
  HAZELCAST_CONFIG("hazelcastConfig", Kind.STRING, null,
      "serve --cluster: a Hazelcast XML or YAML file used instead of the cluster settings above (it must keep Vert.x's __vertx.* map settings)."),
  SIM_HOST("simHost", Kind.STRING, "127.0.0.1", "The gateway simulator's bind address (nodes running the gateway-sim verticle)."),
  SIM_PORT("simPort", Kind.PORT, "0", "The gateway simulator's port (0 picks a free one)."),
  SIM_PUBLIC_URL("simPublicUrl", Kind.URL, null,
      "The simulator's URL as the provisioners reach it (the gateways' base URL); default http://<simHost>:<port>.");

  private final String key;
  private final Kind kind;
  private final String defaultValue;
  private final String description;

  Setting(String key, Kind kind, String defaultValue, String description) {
    this.key = key;
    this.kind = kind;
    this.defaultValue = defaultValue;
    this.description = description;
  }

  /** The key in the JSON config file. */
  public String key() {
    return key;
  }

  /** The environment variable, {@code ROLLCALL_} and the enum name. */
  public String env() {
    return "ROLLCALL_" + name();
  }

  public Kind kind() {
    return kind;
  }

  /** The default as text, or null when the setting is unset by default. */
  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }

  /** The shape of a setting's value; each parses text (or a JSON number) and says what it expects. */
  public enum Kind {
    STRING("text"),
    /** Text that is never printed: describe() shows it as ***. */
    SECRET("text of at least 16 characters"),
    URL("URL"),
    PORT("port 0-65535"),
    POSITIVE_INT("integer >= 1"),
    PERCENT("integer from 1 to 100"),
    DURATION("duration such as 500ms, 30s, 2m, 1h or PT30S"),
    /** A duration, or {@code off}: stored as {@link java.time.Duration#ZERO}. */
    DURATION_OR_OFF("duration such as 5m, or off");

    private final String expectation;

    Kind(String expectation) {
      this.expectation = expectation;
    }

    public String expectation() {
      return expectation;
    }
  }
}
