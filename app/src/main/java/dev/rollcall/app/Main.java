package dev.rollcall.app;

import dev.rollcall.core.config.ConfigException;
import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.config.Setting;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar rollcall.jar <command>}: the one entry point of the runnable jar. */
@Command(name = "rollcall", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Control plane that keeps fleets of AI agents converged.",
    subcommands = {Main.Dev.class, Main.Serve.class, Main.Chaos.class, OperatorCli.Agents.class, OperatorCli.Gateways.class,
        OperatorCli.Tasks.class, Main.BenchHeartbeat.class, Main.BenchReconciler.class, Main.BenchLive.class})
public final class Main implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args, System.getenv(), new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs a command line against an environment; returns the exit code (tests call this). */
  static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(out);
    cli.setErr(err);
    injectEnv(cli, env);
    cli.getSubcommands().values().forEach(sub -> {
      if (sub.getCommand() instanceof NodeCommand command) {
        command.env = env;
      } else if (sub.getCommand() instanceof BenchHeartbeat bench) {
        bench.env = env;
      } else if (sub.getCommand() instanceof BenchReconciler bench) {
        bench.env = env;
      } else if (sub.getCommand() instanceof BenchLive bench) {
        bench.env = env;
      } else if (sub.getCommand() instanceof Chaos chaos) {
        chaos.env = env;
      }
    });
    return cli.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The operator verbs read the token and address from the environment they are given (tests give a map). */
  private static void injectEnv(CommandLine command, Map<String, String> env) {
    if (command.getCommand() instanceof OperatorCli.Verb verb) {
      verb.target.env = env;
    }
    command.getSubcommands().values().forEach(sub -> injectEnv(sub, env));
  }

  /** Shared by dev and serve: load config, start a node, print where it listens, run until stopped. */
  abstract static class NodeCommand implements Callable<Integer> {
    Map<String, String> env = System.getenv();

    @Option(names = "--config", paramLabel = "FILE", description = "JSON config file; its settings override the built-in "
        + "defaults and ROLLCALL_* environment variables override it (default: none).")
    Path configFile;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    abstract Node.Mode mode();

    /** The modules this node runs. */
    java.util.List<dev.rollcall.core.node.RollcallModule> modules() {
      return mode() == Node.Mode.DEV ? Modules.dev() : Modules.controlPlane();
    }

    boolean clustered() {
      return false;
    }

    /** Whether to create {@link DevFleet} once the node is up (when it runs the simulator). */
    boolean createFleet() {
      return mode() == Node.Mode.DEV;
    }

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Node node;
      java.util.List<dev.rollcall.core.node.RollcallModule> modules;
      try {
        RollcallConfig config = RollcallConfig.load(env, Optional.ofNullable(configFile));
        modules = modules();
        node = Node.start(config, mode(), modules, clustered());
      } catch (ConfigException | StartupException | IllegalArgumentException e) {
        err.println("rollcall " + mode().name().toLowerCase() + ": " + e.getMessage());
        err.flush();
        return 1;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        node.close();
        stopped.countDown();
      }, "rollcall-shutdown"));
      out.println("Rollcall " + mode().name().toLowerCase() + " is up:");
      out.print(node.banner());
      out.flush(); // where it listens, at once: the simulated fleet below takes a moment
      for (var module : modules) {
        if (module instanceof dev.rollcall.gatewaysim.GatewaySimModule sim && createFleet()) {
          try {
            DevFleet.create(node, sim, out);
          } catch (RuntimeException e) {
            // A configured database may already hold a dev fleet: the stack is up all the same.
            out.println("  Simulated fleet not created: " + e.getMessage());
          }
        }
      }
      out.println("Stop with Ctrl-C.");
      out.flush();
      try {
        // The main thread, never an event loop: it only waits here for the shutdown hook.
        stopped.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 0;
    }
  }

  @Command(name = "dev", mixinStandardHelpOptions = true,
      description = "One JVM with every module and the gateway simulator; starts embedded PostgreSQL and "
          + "Redis when ROLLCALL_PG_URL / ROLLCALL_REDIS_URL are not set.")
  static final class Dev extends NodeCommand {
    @Override
    Node.Mode mode() {
      return Node.Mode.DEV;
    }
  }

  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = "The production shape: configured PostgreSQL and Redis only; fails fast when they are unreachable.")
  static final class Serve extends NodeCommand {
    @Option(names = "--cluster", description = "Join the Hazelcast cluster (ROLLCALL_CLUSTER_* settings): the event bus spans every node.")
    boolean cluster;

    @Option(names = "--verticles", paramLabel = "LIST", defaultValue = "heartbeat,token,provisioner,reconciler,dashboard",
        description = "Comma-separated modules this node runs, of: heartbeat, token, provisioner, reconciler, dashboard, "
            + "gateway-sim (default: ${DEFAULT-VALUE}). Any of them may run on several nodes at once.")
    String verticles;

    @Option(names = "--sim-fleet", description = "With gateway-sim and provisioner in --verticles: create the dev stack's "
        + "small simulated fleet through this node's operator API once it is up.")
    boolean simFleet;

    @Option(names = "--sim-seed", paramLabel = "N", defaultValue = "42", description = "With gateway-sim in --verticles: the seed "
        + "of every simulated agent's randomness, as `chaos --seed` gives it (default: ${DEFAULT-VALUE}).")
    long simSeed;

    @Override
    java.util.List<dev.rollcall.core.node.RollcallModule> modules() {
      java.util.List<dev.rollcall.core.node.RollcallModule> selected = Modules.select(verticles, simSeed);
      if (simFleet && !(selected.stream().anyMatch(m -> m.name().equals(dev.rollcall.gatewaysim.GatewaySimModule.NAME))
          && selected.stream().anyMatch(m -> m.name().equals(dev.rollcall.provisioner.ProvisionerModule.NAME)))) {
        throw new IllegalArgumentException("--sim-fleet needs gateway-sim and provisioner in --verticles");
      }
      return selected;
    }

    @Override
    boolean clustered() {
      return cluster;
    }

    @Override
    boolean createFleet() {
      return simFleet;
    }

    @Override
    Node.Mode mode() {
      return Node.Mode.SERVE;
    }
  }

  @Command(name = "bench-heartbeat", mixinStandardHelpOptions = true,
      description = "Benchmark: authenticated heartbeats vs a bare Vert.x 200 endpoint, driven by wrk (must be installed).")
  static final class BenchHeartbeat implements Callable<Integer> {
    @Option(names = "--agents", defaultValue = "5000", description = "Registered agents whose heartbeats wrk sends "
        + "(default: ${DEFAULT-VALUE}).") int agents;
    @Option(names = "--connections", defaultValue = "64", description = "wrk connections (default: ${DEFAULT-VALUE}).")
    int connections;
    @Option(names = "--seconds", defaultValue = "15", description = "Length of each measured wrk run, in seconds "
        + "(default: ${DEFAULT-VALUE}).") int seconds;
    @Option(names = "--rounds", defaultValue = "3", description = "Rounds, each measuring the bare endpoint and the "
        + "heartbeat in turn; the figures are medians over them (default: ${DEFAULT-VALUE}).") int rounds;
    @Option(names = "--show-wrk", description = "Print every wrk run's own report, warm-ups included.") boolean showWrk;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    Map<String, String> env = System.getenv();

    @Override
    public Integer call() throws Exception {
      return new HeartbeatBench(agents, connections, seconds, rounds, showWrk, spec.commandLine().getOut())
          .run(env);
    }
  }

  @Command(name = "chaos", mixinStandardHelpOptions = true,
      description = "Runs the control plane and a fault-injecting simulated fleet, then reports whether every agent "
          + "converged and every invariant held. Exit code 0 only when it passed.")
  static final class Chaos implements Callable<Integer> {
    @Option(names = "--agents", defaultValue = "200", description = "Simulated agents (default: ${DEFAULT-VALUE}).") int agents;
    @Option(names = "--gateways", defaultValue = "4", description = "Simulated gateways the agents are spread over "
        + "(default: ${DEFAULT-VALUE}).") int gateways;
    @Option(names = "--faults", defaultValue = "crash-on-boot=0.05,stale-template=0.05,unauthorized=0.05,stuck-starting=0.05,"
        + "double-boot=0.05,start-failure-error=0.05,start-failure-false=0.05,slow-start=0.05,flaky-network=0.05,crash-later=0.05,"
        + "gateway-outage=0.25",
        description = "Fault profiles as profile=share,... of the agents (gateway-outage: a share of the gateways) "
            + "(default: 0.05 of the agents in each agent profile and 0.25 of the gateways dark).") String faults;
    @Option(names = "--duration", defaultValue = "60s", description = "How long faults are injected and tasks driven, "
        + "before the settle phase (default: ${DEFAULT-VALUE}).") String duration;
    @Option(names = "--seed", defaultValue = "42", description = "Seed of the fault plan and of every agent's randomness "
        + "(default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--seeds", paramLabel = "FROM..TO|A,B,...", description = "A sweep: the same run once per seed, one "
        + "line each and a summary; exit code 0 only when every seed passed. Overrides --seed (default: no sweep).") String seeds;
    @Option(names = "--report", paramLabel = "FILE", description = "Write the JSON report here (a sweep writes every "
        + "seed's report and the summary; default: the summary is printed, no file is written).") Path report;
    @Option(names = "--checkin-deadline", paramLabel = "DURATION", description = "How long a woken agent has to register "
        + "before the next wake (default: 2s in a chaos run).") String checkinDeadline;
    @Option(names = "--heartbeat-interval", paramLabel = "DURATION", description = "The agents' heartbeat interval "
        + "(default: 500ms for up to 500 agents; larger fleets stretch it to stay within 1,000 heartbeats/s: 2s at 2,000 "
        + "agents, 10s at 10,000).") String heartbeatInterval;
    @Option(names = "--suspicion-window", paramLabel = "DURATION", description = "How long a lapsed lease is suspected "
        + "before the offline verdict (default: 2s in a chaos run, or 1.5 x a stretched heartbeat interval).") String suspicionWindow;
    @Option(names = "--max-transition", paramLabel = "DURATION", description = "The longest an agent may stay in a "
        + "transitional state before the reconciler acts (default: 3s in a chaos run).") String maxTransition;
    @Option(names = "--recovery-probe", paramLabel = "DURATION", description = "How often an offline agent is probed "
        + "again, or off (default: off in a chaos run: seed 01's exact escalation).") String recoveryProbe;
    @Option(names = "--nodes", defaultValue = "1", description = "Control-plane nodes: 1 runs everything in this JVM; 2 or more "
        + "start separate `serve --cluster` processes (one Hazelcast cluster, modules spread as in docker-compose.yml, the "
        + "agents behind a balancer) and the simulator in a process of its own (default: ${DEFAULT-VALUE}).") int nodes;
    @Option(names = "--kill-node", paramLabel = "[N@]AT", description = "Kill node N (default 2) with SIGKILL at AT after the "
        + "fleet is created, e.g. 20s or 3@20s; the report says how long the cluster took to absorb it (default: no kill).")
    String killNode;
    @Option(names = "--restart-node", paramLabel = "AT", description = "Start the killed node again at AT (default: never).")
    String restartNode;
    @Option(names = "--rolling-restart", paramLabel = "AT", description = "At AT, restart every running node in turn: SIGTERM, "
        + "start, ready and rejoined, then the next (default: none).") String rollingRestart;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    Map<String, String> env = System.getenv();

    @Override
    public Integer call() throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      Map<Setting, String> settings = new java.util.EnumMap<>(Setting.class);
      putIf(settings, Setting.CHECKIN_DEADLINE, checkinDeadline);
      putIf(settings, Setting.HEARTBEAT_INTERVAL, heartbeatInterval);
      putIf(settings, Setting.SUSPICION_WINDOW, suspicionWindow);
      putIf(settings, Setting.MAX_TRANSITION, maxTransition);
      putIf(settings, Setting.RECOVERY_PROBE, recoveryProbe);
      ChaosRun run;
      java.util.List<Long> sweep;
      try {
        if (agents < 1 || gateways < 1 || gateways > agents) {
          throw new IllegalArgumentException("--agents must be at least 1 and at least --gateways (at least 1)");
        }
        sweep = seeds == null ? null : ChaosSweep.parseSeeds(seeds);
        java.time.Duration runFor = dev.rollcall.core.config.Durations.parse(duration);
        ClusterPlan cluster = new ClusterPlan(nodes, killNode == null ? null : ClusterPlan.NodeLoss.parse(killNode),
            restartNode == null ? null : dev.rollcall.core.config.Durations.parse(restartNode),
            rollingRestart == null ? null : dev.rollcall.core.config.Durations.parse(rollingRestart)).check(runFor);
        run = new ChaosRun(new ChaosRun.Options(agents, gateways, dev.rollcall.gatewaysim.FaultPlan.parseShares(faults),
            runFor, seed, report, settings, cluster), spec.commandLine().getOut());
      } catch (IllegalArgumentException | ConfigException e) {
        err.println("rollcall chaos: " + e.getMessage());
        err.flush();
        return 2;
      }
      try {
        if (sweep != null) {
          return new ChaosSweep(run.options(), sweep, spec.commandLine().getOut()).run(env);
        }
        return run.finish(run.run(env));
      } catch (ConfigException | StartupException | IllegalArgumentException e) {
        err.println("rollcall chaos: " + e.getMessage());
        err.flush();
        return 2;
      }
    }

    private static void putIf(Map<Setting, String> settings, Setting s, String value) {
      if (value != null) {
        settings.put(s, value);
      }
    }
  }

  @Command(name = "bench-reconciler", mixinStandardHelpOptions = true,
      description = "Benchmark: reconcile tick cost with nothing and with items due, on a small and a large fleet; "
          + "Redis memory per agent; due-queue lag under a steady rate.")
  static final class BenchReconciler implements Callable<Integer> {
    @Option(names = "--agents", defaultValue = "100000", description = "The large fleet's size (default: ${DEFAULT-VALUE}).")
    int agents;
    @Option(names = "--small", defaultValue = "1000", description = "The baseline fleet's size (default: ${DEFAULT-VALUE}).")
    int small;
    @Option(names = "--due", defaultValue = "1000", description = "Items due at once in each busy tick measured "
        + "(default: ${DEFAULT-VALUE}).") int due;
    @Option(names = "--rate", defaultValue = "2000", description = "Due items per second in the steady phase "
        + "(default: ${DEFAULT-VALUE}).") int rate;
    @Option(names = "--seconds", defaultValue = "30", description = "Length of the steady phase, in seconds "
        + "(default: ${DEFAULT-VALUE}).") int seconds;
    @Option(names = "--rounds", defaultValue = "7", description = "Measured ticks per case; the figures are medians "
        + "(default: ${DEFAULT-VALUE}).") int rounds;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    Map<String, String> env = System.getenv();

    @Override
    public Integer call() throws Exception {
      return new ReconcilerBench(agents, small, due, rate, seconds, rounds, spec.commandLine().getOut()).run(env);
    }
  }

  @Command(name = "bench-live", mixinStandardHelpOptions = true,
      description = "Benchmark: a registered fleet heartbeating live at the production settings on one node (wrk with a "
          + "Lua script, must be installed) while a share of it crashes; reports the node's CPU, heartbeat latency, "
          + "detection of the crashed agents and false offline verdicts. Exit code 0 only with no false offline verdict, "
          + "every crash judged and detection p99 within lease + suspicion window + 1 s.")
  static final class BenchLive implements Callable<Integer> {
    @Option(names = "--agents", defaultValue = "100000", description = "Registered agents (default: ${DEFAULT-VALUE}).")
    int agents;
    @Option(names = "--gateways", defaultValue = "20", description = "Gateways the agents are spread over "
        + "(default: ${DEFAULT-VALUE}).") int gateways;
    @Option(names = "--duration", defaultValue = "5m", description = "The measured run, after a warm-up that covers "
        + "the reconciler's outage grace (default: ${DEFAULT-VALUE}, at least 2m).") String duration;
    @Option(names = "--crash-percent", defaultValue = "1", description = "Share of the fleet that crashes during the "
        + "measured run, in percent (default: ${DEFAULT-VALUE}, at most 50).") double crashPercent;
    @Option(names = "--connections", defaultValue = "64", description = "wrk connections (default: ${DEFAULT-VALUE}).")
    int connections;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of which agents crash and when "
        + "(default: ${DEFAULT-VALUE}).") long seed;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    Map<String, String> env = System.getenv();

    @Override
    public Integer call() throws Exception {
      java.time.Duration measured;
      try {
        measured = dev.rollcall.core.config.Durations.parse(duration);
        if (agents < 100 || gateways < 1 || gateways > agents || measured.compareTo(java.time.Duration.ofMinutes(2)) < 0
            || crashPercent < 0 || crashPercent > 50 || connections < 2) {
          throw new IllegalArgumentException("--agents must be at least 100 and at least --gateways (at least 1), "
              + "--duration at least 2m, --crash-percent within 0..50, --connections at least 2");
        }
      } catch (IllegalArgumentException | ConfigException e) {
        spec.commandLine().getErr().println("rollcall bench-live: " + e.getMessage());
        spec.commandLine().getErr().flush();
        return 2;
      }
      return new LiveBench(new LiveBench.Options(agents, gateways, measured, crashPercent, connections, seed),
          spec.commandLine().getOut()).run(env);
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"rollcall " + Node.version()};
    }
  }
}
