package dev.rollcall.core.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The effective configuration of a Rollcall node, validated. Build it with {@link #load}: defaults in
 * code ({@link Setting}), then a JSON file, then {@code ROLLCALL_*} environment variables. A bad value
 * fails here, at start-up, with a message that names the setting.
 */
public final class RollcallConfig {
  /** Environment variable naming a JSON config file. */
  public static final String CONFIG_FILE_ENV = "ROLLCALL_CONFIG";

  private final Map<Setting, Object> values;

  private RollcallConfig(Map<Setting, Object> values) {
    this.values = values;
    if (agentPort().isPresent() != adminPort().isPresent()) {
      throw new ConfigException(Setting.AGENT_PORT.env() + " and " + Setting.ADMIN_PORT.env()
          + " split the listeners together: set both or neither");
    }
    // Agents silenced together lapse up to one heartbeat interval (+10 % jitter) apart, and the fleet
    // sample must see them suspect before the first of them is judged: otherwise a dark gateway (or a
    // cut-off control plane) would get offline verdicts before it is recognised as one.
    Duration needed = heartbeatInterval().plus(heartbeatInterval().dividedBy(10))
        .plus(fleetSampleInterval().multipliedBy(2)).plus(reconcileInterval());
    if (suspicionWindow().compareTo(needed) < 0) {
      throw new ConfigException(Setting.SUSPICION_WINDOW.env() + " (" + Durations.format(suspicionWindow())
          + ") must be at least 1.1 x " + Setting.HEARTBEAT_INTERVAL.env() + " + 2 x " + Setting.FLEET_SAMPLE_INTERVAL.env()
          + " + " + Setting.RECONCILE_INTERVAL.env() + " (" + Durations.format(needed)
          + "), so that agents that go silent together are recognised as mass silence before any is judged offline");
    }
  }

  /**
   * @param env the process environment (or a test's map)
   * @param file an explicit config file (from {@code --config}); if absent, {@code ROLLCALL_CONFIG}
   */
  public static RollcallConfig load(Map<String, String> env, Optional<Path> file) {
    Map<Setting, Object> values = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      if (s.defaultValue() != null) {
        values.put(s, parse(s, s.defaultValue(), "default"));
      }
    }
    Optional<Path> path = file.or(() -> Optional.ofNullable(env.get(CONFIG_FILE_ENV)).filter(p -> !p.isBlank()).map(Path::of));
    if (path.isPresent()) {
      JsonObject json = readFile(path.get());
      Set<String> known = Arrays.stream(Setting.values()).map(Setting::key).collect(Collectors.toSet());
      for (String key : json.fieldNames()) {
        if (!known.contains(key)) {
          // A typo in a config file must not silently fall back to a default.
          throw new ConfigException("unknown setting '" + key + "' in " + path.get() + "; known settings: "
              + known.stream().sorted().collect(Collectors.joining(", ")));
        }
      }
      for (Setting s : Setting.values()) {
        Object raw = json.getValue(s.key());
        if (raw != null) {
          values.put(s, parse(s, String.valueOf(raw), path.get().toString()));
        }
      }
    }
    for (Setting s : Setting.values()) {
      String raw = env.get(s.env());
      if (raw != null && !raw.isBlank()) {
        values.put(s, parse(s, raw, "environment"));
      }
    }
    return new RollcallConfig(values);
  }

  /** Defaults and the given overrides only (for tests and embedding). */
  public static RollcallConfig of(Map<Setting, String> overrides) {
    Map<String, String> env = overrides.entrySet().stream()
        .collect(Collectors.toMap(e -> e.getKey().env(), Map.Entry::getValue));
    return load(env, Optional.empty());
  }

  /** A copy with some settings replaced (values as text, validated like any other). */
  public RollcallConfig with(Map<Setting, String> overrides) {
    Map<Setting, Object> copy = new EnumMap<>(Setting.class);
    copy.putAll(values);
    overrides.forEach((s, raw) -> {
      if (raw == null) {
        copy.remove(s);
      } else {
        copy.put(s, parse(s, raw, "override"));
      }
    });
    return new RollcallConfig(copy);
  }

  public Optional<String> pgUrl() {
    return Optional.ofNullable((String) values.get(Setting.PG_URL));
  }

  public Optional<String> redisUrl() {
    return Optional.ofNullable((String) values.get(Setting.REDIS_URL));
  }

  public String httpHost() {
    return (String) values.get(Setting.HTTP_HOST);
  }

  public int httpPort() {
    return (Integer) values.get(Setting.HTTP_PORT);
  }

  public Optional<Integer> agentPort() {
    return Optional.ofNullable((Integer) values.get(Setting.AGENT_PORT));
  }

  public Optional<Integer> adminPort() {
    return Optional.ofNullable((Integer) values.get(Setting.ADMIN_PORT));
  }

  public int httpInstances() {
    return (Integer) values.get(Setting.HTTP_INSTANCES);
  }

  public int bodyLimitBytes() {
    return (Integer) values.get(Setting.BODY_LIMIT);
  }

  public Duration checkinDeadline() {
    return (Duration) values.get(Setting.CHECKIN_DEADLINE);
  }

  public int maxWakeAttempts() {
    return (Integer) values.get(Setting.MAX_WAKE_ATTEMPTS);
  }

  public Duration maxTransition() {
    return (Duration) values.get(Setting.MAX_TRANSITION);
  }

  public Duration heartbeatInterval() {
    return (Duration) values.get(Setting.HEARTBEAT_INTERVAL);
  }

  public Duration lastSeenWriteEvery() {
    return (Duration) values.get(Setting.LAST_SEEN_WRITE_EVERY);
  }

  /** A liveness lease lasts three heartbeat intervals: one late or lost heartbeat never expires it. */
  public Duration leaseTtl() {
    return heartbeatInterval().multipliedBy(3);
  }

  public int pgPoolSize() {
    return (Integer) values.get(Setting.PG_POOL_SIZE);
  }

  public Duration busTimeout() {
    return (Duration) values.get(Setting.BUS_TIMEOUT);
  }

  public Duration startupCheckTimeout() {
    return (Duration) values.get(Setting.STARTUP_CHECK_TIMEOUT);
  }

  public Optional<String> adminToken() {
    return Optional.ofNullable((String) values.get(Setting.ADMIN_TOKEN));
  }

  public Duration ticketTtl() {
    return (Duration) values.get(Setting.TICKET_TTL);
  }

  public Duration rotationGrace() {
    return (Duration) values.get(Setting.ROTATION_GRACE);
  }

  public Optional<Duration> credentialLifetime() {
    return Optional.ofNullable((Duration) values.get(Setting.CREDENTIAL_LIFETIME));
  }

  public int registerLimitPerAgent() {
    return (Integer) values.get(Setting.REGISTER_LIMIT_PER_AGENT);
  }

  public int registerLimitPerSource() {
    return (Integer) values.get(Setting.REGISTER_LIMIT_PER_SOURCE);
  }

  public Duration gatewayTimeout() {
    return (Duration) values.get(Setting.GATEWAY_TIMEOUT);
  }

  public String clusterHost() {
    return (String) values.get(Setting.CLUSTER_HOST);
  }

  public int clusterPort() {
    return (Integer) values.get(Setting.CLUSTER_PORT);
  }

  /** The Hazelcast TCP-IP members, trimmed, empty entries dropped. */
  public java.util.List<String> clusterMembers() {
    return java.util.Arrays.stream(((String) values.get(Setting.CLUSTER_MEMBERS)).split(","))
        .map(String::trim).filter(m -> !m.isEmpty()).toList();
  }

  public String clusterName() {
    return (String) values.get(Setting.CLUSTER_NAME);
  }

  public int eventBusPort() {
    return (Integer) values.get(Setting.EVENT_BUS_PORT);
  }

  public Optional<String> hazelcastConfig() {
    return Optional.ofNullable((String) values.get(Setting.HAZELCAST_CONFIG));
  }

  public String simHost() {
    return (String) values.get(Setting.SIM_HOST);
  }

  public int simPort() {
    return (Integer) values.get(Setting.SIM_PORT);
  }

  /** A listener's URL on this machine: bound to every interface (0.0.0.0), it is reached on 127.0.0.1. */
  public static String localUrl(String bindHost, int port) {
    return "http://" + ("0.0.0.0".equals(bindHost) ? "127.0.0.1" : bindHost) + ":" + port;
  }

  /** The simulator's URL for the provisioners, given the port it actually listens on. */
  public String simPublicUrl(int actualPort) {
    String configured = (String) values.get(Setting.SIM_PUBLIC_URL);
    if (configured != null) {
      return configured;
    }
    return localUrl(simHost(), actualPort);
  }

  /** Where agents reach the control plane: the setting, else the agent listener on the bind host. */
  public String publicUrl() {
    String configured = (String) values.get(Setting.PUBLIC_URL);
    if (configured != null) {
      return configured;
    }
    return localUrl(httpHost(), agentPort().orElse(httpPort()));
  }

  public int taskMaxAttempts() {
    return (Integer) values.get(Setting.TASK_MAX_ATTEMPTS);
  }

  public Duration taskRetryBackoff() {
    return (Duration) values.get(Setting.TASK_RETRY_BACKOFF);
  }

  public Duration startConfirmWindow() {
    return (Duration) values.get(Setting.START_CONFIRM_WINDOW);
  }

  public Duration dispatchInterval() {
    return (Duration) values.get(Setting.DISPATCH_INTERVAL);
  }

  public int breakerFailures() {
    return (Integer) values.get(Setting.BREAKER_FAILURES);
  }

  public Duration breakerCooldown() {
    return (Duration) values.get(Setting.BREAKER_COOLDOWN);
  }

  public Duration suspicionWindow() {
    return (Duration) values.get(Setting.SUSPICION_WINDOW);
  }

  /** The first recovery probe's wait; empty when probes are off (seed 01's exact behaviour). */
  public Optional<Duration> recoveryProbe() {
    Duration d = (Duration) values.get(Setting.RECOVERY_PROBE);
    return d.isZero() ? Optional.empty() : Optional.of(d);
  }

  public Duration recoveryProbeMax() {
    return (Duration) values.get(Setting.RECOVERY_PROBE_MAX);
  }

  /**
   * The wait before recovery probe number {@code probesSoFar + 1}: {@code recoveryProbe} doubled per
   * probe already made, at most {@code recoveryProbeMax}; empty when probes are off.
   */
  public Optional<Duration> recoveryDelay(int probesSoFar) {
    return recoveryProbe().map(first -> {
      Duration max = recoveryProbeMax();
      Duration d = first;
      for (int i = 0; i < probesSoFar && d.compareTo(max) < 0; i++) {
        d = d.multipliedBy(2);
      }
      return d.compareTo(max) > 0 ? max : d;
    });
  }

  /**
   * The wait before a failed provision is tried again: the recovery probe's backoff, or when probes are off
   * the check-in deadline doubled per failure (at most {@code recoveryProbeMax}). Never "never": a provision
   * that failed because its gateway was dark is not seed 01's escalation, and stopping would leave the agent
   * offline for good once the gateway is back.
   */
  public Duration provisionRetryDelay(int failuresSoFar) {
    return recoveryDelay(failuresSoFar).orElseGet(() -> {
      Duration d = checkinDeadline();
      for (int i = 0; i < failuresSoFar && d.compareTo(recoveryProbeMax()) < 0; i++) {
        d = d.multipliedBy(2);
      }
      return d.compareTo(recoveryProbeMax()) > 0 ? recoveryProbeMax() : d;
    });
  }

  public Duration outageGrace() {
    return (Duration) values.get(Setting.OUTAGE_GRACE);
  }

  public int gatewaySilentSharePercent() {
    return (Integer) values.get(Setting.GATEWAY_SILENT_SHARE);
  }

  public int reprovisionsPerMinute() {
    return (Integer) values.get(Setting.REPROVISION_RATE);
  }

  public int reprovisionBurst() {
    return (Integer) values.get(Setting.REPROVISION_BURST);
  }

  public Duration reconcileInterval() {
    return (Duration) values.get(Setting.RECONCILE_INTERVAL);
  }

  public int reconcileBatch() {
    return (Integer) values.get(Setting.RECONCILE_BATCH);
  }

  public Duration claimVisibility() {
    return (Duration) values.get(Setting.CLAIM_VISIBILITY);
  }

  public Duration sweepInterval() {
    return (Duration) values.get(Setting.SWEEP_INTERVAL);
  }

  public Duration fleetSampleInterval() {
    return (Duration) values.get(Setting.FLEET_SAMPLE_INTERVAL);
  }

  public Duration stuckBusyAfter() {
    return (Duration) values.get(Setting.STUCK_BUSY_AFTER);
  }

  /**
   * How long a provision attempt may stay in flight before it is taken over: its ticket request
   * (busTimeout) and its gateway call (gatewayTimeout), with room to settle.
   */
  public Duration provisionTakeOverAfter() {
    return busTimeout().plus(gatewayTimeout().multipliedBy(2));
  }

  /**
   * The effective settings for logs and the start-up banner. URLs lose their password: this is printed.
   */
  public JsonObject describe() {
    JsonObject json = new JsonObject();
    for (Setting s : Setting.values()) {
      Object v = values.get(s);
      if (v == null) {
        continue;
      }
      json.put(s.key(), switch (s.kind()) {
        case DURATION -> Durations.format((Duration) v);
        case DURATION_OR_OFF -> ((Duration) v).isZero() ? "off" : Durations.format((Duration) v);
        case URL -> redactPassword((String) v);
        case SECRET -> "***";
        default -> v;
      });
    }
    return json;
  }

  /** {@code scheme://user:secret@host} becomes {@code scheme://user:***@host}. */
  public static String redactPassword(String url) {
    try {
      URI uri = new URI(url);
      String userInfo = uri.getRawUserInfo();
      if (userInfo == null || !userInfo.contains(":")) {
        return url;
      }
      return url.replace(userInfo, userInfo.substring(0, userInfo.indexOf(':')) + ":***");
    } catch (URISyntaxException e) {
      return "<unparseable url>";
    }
  }

  private static JsonObject readFile(Path path) {
    try {
      return new JsonObject(Files.readString(path));
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + path + ": " + e.getMessage(), e);
    } catch (DecodeException e) {
      throw new ConfigException("config file " + path + " is not a JSON object: " + e.getMessage(), e);
    }
  }

  private static Object parse(Setting s, String raw, String source) {
    String text = raw.strip();
    try {
      return switch (s.kind()) {
        case STRING -> requireNonEmpty(text);
        case SECRET -> minLength(text, 16);
        case URL -> url(text);
        case PORT -> range(Integer.parseInt(text), 0, 65535);
        case POSITIVE_INT -> range(Integer.parseInt(text), 1, Integer.MAX_VALUE);
        case DURATION -> positive(Durations.parse(text));
        case DURATION_OR_OFF -> "off".equalsIgnoreCase(text) ? Duration.ZERO : positive(Durations.parse(text));
        case PERCENT -> range(Integer.parseInt(text), 1, 100);
      };
    } catch (IllegalArgumentException e) {
      throw new ConfigException(s.env() + " (" + s.key() + ", from " + source + ") must be a "
          + s.kind().expectation() + (s.kind() == Setting.Kind.SECRET ? "" : ", got '" + text + "'"));
    }
  }

  private static String requireNonEmpty(String text) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("empty");
    }
    return text;
  }

  private static String minLength(String text, int min) {
    if (text.length() < min) {
      throw new IllegalArgumentException("too short");
    }
    return text;
  }

  private static String url(String text) {
    try {
      URI uri = new URI(text);
      if (uri.getScheme() == null || uri.getHost() == null) {
        throw new IllegalArgumentException("no scheme or host");
      }
      return text;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  private static int range(int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException("out of range");
    }
    return value;
  }

  private static Duration positive(Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("not positive");
    }
    return d;
  }
}
