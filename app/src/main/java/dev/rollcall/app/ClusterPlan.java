package dev.rollcall.app;

import dev.rollcall.core.config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code chaos --nodes N}: how many control-plane processes the run starts, which modules each runs, and
 * the node events it plays on them. Times are measured from the end of fleet creation, like the gateway
 * outage.
 *
 * @param nodes control-plane processes; 1 is the one-JVM run
 * @param kill the node lost without goodbye (SIGKILL), and when; null for none
 * @param restartAt when the killed node is started again; null for never
 * @param rollingRestartAt when every running node is restarted in turn (SIGTERM, start, ready, then the next; a
 *     node killed and not yet back is skipped); null for never
 */
record ClusterPlan(int nodes, NodeLoss kill, Duration restartAt, Duration rollingRestartAt) {
  static final ClusterPlan ONE_JVM = new ClusterPlan(1, null, null, null);
  static final int MAX_NODES = 9;
  /** The node killed when {@code --kill-node} names none: it runs heartbeat and a reconciler, the most to lose. */
  static final int DEFAULT_VICTIM = 2;

  /**
   * The modules of node {@code n} (1-based), as docker-compose.yml spreads them: rollcall-1 faces the
   * agents and operators, rollcall-2 does that and reconciles, rollcall-3 is the back office; further
   * nodes are like rollcall-2 (more agent capacity and another reconciler).
   */
  static String verticles(int n) {
    return switch (n) {
      case 1 -> "heartbeat,token,provisioner,dashboard";
      case 2 -> "heartbeat,token,provisioner,reconciler";
      case 3 -> "token,provisioner,reconciler";
      default -> "heartbeat,token,provisioner,reconciler";
    };
  }

  /** The modules the control plane cannot work without: each must run on some node at every moment. */
  static final List<String> ESSENTIAL = List.of("heartbeat", "token", "provisioner", "reconciler");

  record NodeLoss(int node, Duration at) {
    /** {@code AT} or {@code N@AT} (node N, default {@link #DEFAULT_VICTIM}): {@code 20s}, {@code 3@20s}. */
    static NodeLoss parse(String text) {
      int sep = text.indexOf('@');
      int node = DEFAULT_VICTIM;
      if (sep >= 0) {
        try {
          node = Integer.parseInt(text.substring(0, sep).trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--kill-node '" + text + "': expected AT or N@AT (a node number, then a time such as 20s)");
        }
      }
      return new NodeLoss(node, Durations.parse(text.substring(sep + 1).trim()));
    }
  }

  boolean separateProcesses() {
    return nodes > 1;
  }

  /** Refuses a plan that cannot be played: every problem named, so one correction fixes them all. */
  ClusterPlan check(Duration runFor) {
    List<String> problems = new ArrayList<>();
    if (nodes < 1 || nodes > MAX_NODES) {
      problems.add("--nodes must be from 1 to " + MAX_NODES);
    }
    if (nodes == 1 && (kill != null || restartAt != null || rollingRestartAt != null)) {
      problems.add("--kill-node, --restart-node and --rolling-restart need --nodes 2 or more (one JVM has no node to lose)");
    }
    if (kill != null && nodes > 1) {
      if (kill.node() < 1 || kill.node() > nodes) {
        problems.add("--kill-node names node " + kill.node() + "; the run has nodes 1 to " + nodes);
      } else {
        for (String module : ESSENTIAL) {
          boolean elsewhere = false;
          for (int n = 1; n <= nodes; n++) {
            elsewhere |= n != kill.node() && List.of(verticles(n).split(",")).contains(module);
          }
          if (!elsewhere) {
            problems.add("killing node " + kill.node() + " (" + verticles(kill.node()) + ") leaves no node running " + module);
          }
        }
      }
      if (!kill.at().minus(runFor).isNegative()) {
        problems.add("--kill-node at " + Durations.format(kill.at()) + " is not within --duration " + Durations.format(runFor));
      }
    }
    if (restartAt != null) {
      if (kill == null) {
        problems.add("--restart-node needs --kill-node: it starts the killed node again");
      } else if (restartAt.compareTo(kill.at()) <= 0) {
        problems.add("--restart-node at " + Durations.format(restartAt) + " must come after --kill-node at " + Durations.format(kill.at()));
      }
      if (!restartAt.minus(runFor).isNegative()) {
        problems.add("--restart-node at " + Durations.format(restartAt) + " is not within --duration " + Durations.format(runFor));
      }
    }
    if (rollingRestartAt != null && !rollingRestartAt.minus(runFor).isNegative()) {
      problems.add("--rolling-restart at " + Durations.format(rollingRestartAt) + " is not within --duration " + Durations.format(runFor));
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    return this;
  }
}
