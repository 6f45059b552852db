package dev.rollcall.app;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Day-to-day verbs against a running control plane's operator API: tables by default, {@code --json}
 * for scripts. The admin token comes from {@code ROLLCALL_ADMIN_TOKEN}, the address from {@code --url}
 * or {@code ROLLCALL_URL} (default http://127.0.0.1:8080).
 */
final class OperatorCli {
  private OperatorCli() {
  }

  /** Options every verb shares. */
  static final class Target {
    @Option(names = "--url", description = "The control plane's operator API (default: $ROLLCALL_URL or http://127.0.0.1:8080).")
    String url;
    @Option(names = "--json", description = "Print the API's JSON instead of a table.")
    boolean json;
    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;
    Map<String, String> env = System.getenv();

    String base() {
      String u = url != null ? url : env.getOrDefault("ROLLCALL_URL", "http://127.0.0.1:8080");
      return u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
    }

    OperatorApi api() {
      String token = env.get("ROLLCALL_ADMIN_TOKEN");
      if (token == null || token.isBlank()) {
        throw new CliError("set ROLLCALL_ADMIN_TOKEN to the control plane's admin token (dev prints it at start)");
      }
      return new OperatorApi(token);
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }
  }

  /** A usage or API failure, printed as one line; exit code 2 for usage, 1 for an API answer. */
  static final class CliError extends RuntimeException {
    CliError(String message) {
      super(message);
    }
  }

  /** Runs a verb: its output, or one line on stderr and a non-zero exit. */
  abstract static class Verb implements Callable<Integer> {
    @Mixin Target target;

    abstract void run(OperatorApi api, PrintWriter out);

    @Override
    public Integer call() {
      try {
        run(target.api(), target.out());
        target.out().flush();
        return 0;
      } catch (CliError e) {
        target.spec.commandLine().getErr().println("rollcall: " + e.getMessage());
        return 2;
      } catch (java.io.UncheckedIOException e) {
        target.spec.commandLine().getErr().println("rollcall: cannot reach " + target.base() + ": " + e.getCause());
        return 1;
      } catch (RuntimeException e) {
        target.spec.commandLine().getErr().println("rollcall: " + e.getMessage());
        return 1;
      } finally {
        target.spec.commandLine().getErr().flush();
      }
    }

    void print(JsonObject json, Runnable table) {
      if (target.json) {
        target.out().println(json.encodePrettily());
      } else {
        table.run();
      }
    }
  }

  @Command(name = "agents", mixinStandardHelpOptions = true, description = "List, inspect, provision and wake agents.",
      subcommands = {AgentsList.class, AgentsGet.class, AgentsProvision.class, AgentsWake.class})
  static final class Agents {
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Agents, filtered by status and gateway (one page).")
  static final class AgentsList extends Verb {
    @Option(names = "--status", description = "Only agents in this status: provisioning, waking, starting, ready, busy, "
        + "degraded or offline (default: every status).") String status;
    @Option(names = "--gateway", paramLabel = "GATEWAY_ID", description = "Only the agents of this gateway (default: every gateway).")
    String gateway;
    @Option(names = "--limit", defaultValue = "100", description = "Agents per page, at most 500 (default: ${DEFAULT-VALUE}).")
    int limit;
    @Option(names = "--after", paramLabel = "AGENT_ID", description = "The page after this agent id, as the previous page's "
        + "last line prints it (default: the first page).") String after;

    @Override
    void run(OperatorApi api, PrintWriter out) {
      StringBuilder query = new StringBuilder("?limit=").append(limit);
      param(query, "status", status);
      param(query, "gatewayId", gateway);
      param(query, "after", after);
      JsonObject page = api.call("GET", target.base() + "/api/v1/agents" + query, null, 200);
      print(page, () -> {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "NAME", "STATUS", "WAKES", "LAST SEEN", "REASON / LAST ERROR"});
        for (Object o : page.getJsonArray("agents", new JsonArray())) {
          JsonObject a = (JsonObject) o;
          String why = a.getString("lastProvisionError") != null ? a.getString("lastProvisionError") : a.getString("statusReason");
          rows.add(new String[] {a.getString("id"), a.getString("name"), a.getString("lifecycleStatus"),
              String.valueOf(a.getInteger("wakeAttempts")), value(a.getString("lastSeenAt")), value(why)});
        }
        pagedTable(out, rows, page);
      });
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true, description = "One agent: every lifecycle field and its latest events.")
  static final class AgentsGet extends Verb {
    @Parameters(paramLabel = "AGENT_ID", description = "The agent's id (a UUID, as `agents list` prints it).") String id;

    @Override
    void run(OperatorApi api, PrintWriter out) {
      JsonObject agent = api.call("GET", target.base() + "/api/v1/agents/" + enc(id), null, 200);
      JsonObject events = api.call("GET", target.base() + "/api/v1/agents/" + enc(id) + "/events?latest=20", null, 200);
      print(agent.copy().put("events", events.getJsonArray("events")), () -> {
        fields(out, agent);
        JsonArray list = events.getJsonArray("events", new JsonArray());
        out.println();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"AT", "EVENT", "FROM", "TO"});
        for (int i = 0; i < list.size(); i++) {
          JsonObject e = list.getJsonObject(i);
          rows.add(new String[] {value(e.getString("at")), e.getString("name"), value(e.getString("from")), value(e.getString("to"))});
        }
        table(out, rows);
      });
    }
  }

  @Command(name = "provision", mixinStandardHelpOptions = true, description = "Re-provision under single flight.")
  static final class AgentsProvision extends Verb {
    @Parameters(paramLabel = "AGENT_ID", description = "The agent to provision again: a new epoch, whose instance replaces the old one.") String id;

    @Override
    void run(OperatorApi api, PrintWriter out) {
      JsonObject op = api.call("POST", target.base() + "/api/v1/agents/" + enc(id) + "/provision", new JsonObject(), 202);
      print(op, () -> fields(out, op));
    }
  }

  @Command(name = "wake", mixinStandardHelpOptions = true, description = "Wake a waking or offline agent.")
  static final class AgentsWake extends Verb {
    @Parameters(paramLabel = "AGENT_ID", description = "The agent to wake (waking or offline).") String id;

    @Override
    void run(OperatorApi api, PrintWriter out) {
      JsonObject answer = api.call("POST", target.base() + "/api/v1/agents/" + enc(id) + "/wake", new JsonObject(), 200);
      print(answer, () -> {
        out.println("wake delivered: " + answer.getBoolean("wakeDelivered") + (answer.getString("error") == null ? "" : " (" + answer.getString("error") + ")"));
        fields(out, answer.getJsonObject("agent", new JsonObject()));
      });
      if (Boolean.FALSE.equals(answer.getBoolean("wakeDelivered"))) {
        // Counted toward seed 01's budget, but the gateway did not take it: not a success for a script.
        throw new IllegalStateException("the wake was counted but its gateway did not take it: " + answer.getString("error"));
      }
    }
  }

  @Command(name = "gateways", mixinStandardHelpOptions = true, description = "List gateways and sync their templates.",
      subcommands = {GatewaysList.class, GatewaysSync.class})
  static final class Gateways {
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Gateways by name (one page).")
  static final class GatewaysList extends Verb {
    @Option(names = "--limit", defaultValue = "100", description = "Gateways per page, at most 500 (default: ${DEFAULT-VALUE}).")
    int limit;
    @Option(names = "--after", paramLabel = "NAME", description = "The page after this gateway name, as the previous page's "
        + "last line prints it (default: the first page).") String after;

    @Override
    void run(OperatorApi api, PrintWriter out) {
      StringBuilder query = new StringBuilder("?limit=").append(limit);
      param(query, "after", after);
      JsonObject all = api.call("GET", target.base() + "/api/v1/gateways" + query, null, 200);
      print(all, () -> {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "NAME", "TEMPLATE", "BASE URL"});
        for (Object o : all.getJsonArray("gateways", new JsonArray())) {
          JsonObject g = (JsonObject) o;
          rows.add(new String[] {g.getString("id"), g.getString("name"), String.valueOf(g.getInteger("templateVersion")), g.getString("baseUrl")});
        }
        pagedTable(out, rows, all);
      });
    }
  }

  @Command(name = "sync", mixinStandardHelpOptions = true, description = "Template sync; --rotate-tokens also rotates the agents' credentials (seed 01).")
  static final class GatewaysSync extends Verb {
    @Parameters(paramLabel = "GATEWAY_ID", description = "The gateway whose agents take its current template.") String id;
    @Option(names = "--rotate-tokens", description = "Also mint a new credential for every agent, written with the "
        + "template; the old one stays valid until the agent uses the new one or the rotation grace ends (seed 01).") boolean rotate;

    @Override
    void run(OperatorApi api, PrintWriter out) {
      JsonObject answer = api.call("POST", target.base() + "/api/v1/gateways/" + enc(id) + "/templates/sync?rotate_tokens=" + rotate,
          new JsonObject(), 200);
      print(answer, () -> fields(out, answer));
    }
  }

  @Command(name = "tasks", mixinStandardHelpOptions = true, description = "Inspect tasks.", subcommands = {TasksGet.class})
  static final class Tasks {
  }

  @Command(name = "get", mixinStandardHelpOptions = true, description = "A task: its state (delivered vs processed), meaning and events.")
  static final class TasksGet extends Verb {
    @Parameters(paramLabel = "TASK_ID", description = "The task's id, as `POST /api/v1/agents/{id}/tasks` answered it.") String id;

    @Override
    void run(OperatorApi api, PrintWriter out) {
      JsonObject task = api.call("GET", target.base() + "/api/v1/tasks/" + enc(id), null, 200);
      print(task, () -> {
        JsonObject plain = task.copy();
        JsonArray events = (JsonArray) plain.remove("events");
        fields(out, plain);
        if (events != null) {
          out.println();
          List<String[]> rows = new ArrayList<>();
          rows.add(new String[] {"AT", "EVENT", "ATTEMPT", "AGENT"});
          for (Object o : events) {
            JsonObject e = (JsonObject) o;
            rows.add(new String[] {value(e.getString("at")), e.getString("name"), value(e.getValue("attempt")), value(e.getString("agentId"))});
          }
          table(out, rows);
        }
      });
    }
  }

  // --- output --------------------------------------------------------------------------------------

  /** One page of a keyset-paged list, and how to ask for the next one. */
  static void pagedTable(PrintWriter out, List<String[]> rows, JsonObject page) {
    table(out, rows);
    if (page.getString("next") != null) {
      out.println("more: --after " + page.getString("next"));
    }
  }

  static void table(PrintWriter out, List<String[]> rows) {
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.min(60, Math.max(widths[i], row[i].length()));
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        String cell = row[i].length() > 60 ? row[i].substring(0, 57) + "..." : row[i];
        line.append(i == row.length - 1 ? cell : String.format("%-" + widths[i] + "s  ", cell));
      }
      out.println(line.toString().stripTrailing());
    }
  }

  static void fields(PrintWriter out, JsonObject json) {
    int width = json.fieldNames().stream().mapToInt(String::length).max().orElse(0);
    json.forEach(e -> out.printf("%-" + width + "s  %s%n", e.getKey(), value(e.getValue())));
  }

  private static String value(Object v) {
    return v == null ? "-" : v.toString();
  }

  private static void param(StringBuilder query, String name, String value) {
    if (value != null) {
      query.append('&').append(name).append('=').append(enc(value));
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
