package dev.rollcall.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.persistence.TaskRecord;
import dev.rollcall.core.persistence.TaskTrigger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * docs/lifecycle.md is rendered from {@link LifecycleTable} and, for tasks, from {@link TaskTrigger}, so
 * the document cannot drift from the code. After changing the table, regenerate it:
 * {@code ./mvnw -pl core test -Dtest=LifecycleDocTest -Drollcall.writeDocs=true}.
 */
class LifecycleDocTest {
  private static final Path DOC = Path.of("..", "docs", "lifecycle.md");

  @Test
  void docsLifecycleMdIsRenderedFromTheTable() throws IOException {
    String rendered = render();
    if (Boolean.getBoolean("rollcall.writeDocs")) {
      Files.writeString(DOC, rendered);
    }
    assertThat(Files.exists(DOC)).as("docs/lifecycle.md exists").isTrue();
    assertThat(Files.readString(DOC))
        .as("docs/lifecycle.md is stale: regenerate with -Drollcall.writeDocs=true (see this test's javadoc)")
        .isEqualTo(rendered);
  }

  static String render() {
    StringBuilder md = new StringBuilder();
    md.append("# Agent lifecycle\n\n")
        .append("<!-- Generated from core/src/main/java/dev/rollcall/core/lifecycle/LifecycleTable.java by\n")
        .append("     LifecycleDocTest; do not edit by hand. -->\n\n")
        .append("Every status change of an agent is one row of this table, applied by `AgentRepository.transition` as a\n")
        .append("conditional `UPDATE ... WHERE id = $1 AND version = $2` with the event below inserted in the same\n")
        .append("transaction. A pair that is not listed is illegal and is refused with `IllegalTransitionException`.\n")
        .append("A row whose target equals its source is legal and leaves the status alone.\n\n")
        .append("A change that belongs with other writes (a task released, a ticket consumed) runs in\n")
        .append("`AgentRepository.inTransaction`, whose transitions are counted, logged and announced once it\n")
        .append("committed, never when it rolled back. A writer that lost the race (the version moved under it)\n")
        .append("reads again and decides again through `LostRaces.retry`, and answers 503 `agent_contended` when\n")
        .append("every attempt lost.\n\n")
        .append("## Statuses\n\n| status | transitional |\n|---|---|\n");
    for (LifecycleStatus s : LifecycleStatus.values()) {
      md.append("| `").append(s.wireName()).append("` | ").append(s.transitional() ? "yes" : "no").append(" |\n");
    }
    md.append("\nA transitional status must resolve within a limit; the reconciler rescues it when it does not.\n")
        .append("Suspicion after one missed lease is a mark on the agent (`suspect_since`), not a status, so a busy\n")
        .append("agent that blips stays busy.\n\n");
    md.append("## Matrix\n\nRows are triggers, columns the current status; a cell is the next status, `=` for legal\n")
        .append("and unchanged, blank for illegal.\n\n| trigger |");
    for (LifecycleStatus s : LifecycleStatus.values()) {
      md.append(' ').append(s.wireName()).append(" |");
    }
    md.append("\n|---|").append("---|".repeat(LifecycleStatus.values().length)).append('\n');
    for (LifecycleTrigger t : LifecycleTrigger.values()) {
      md.append("| `").append(t.eventName()).append("` |");
      for (LifecycleStatus s : LifecycleStatus.values()) {
        md.append(' ').append(LifecycleTable.lookup(s, t).map(x -> x.changesStatus() ? x.to().wireName() : "=").orElse(""))
            .append(" |");
      }
      md.append('\n');
    }
    md.append("\n## Transitions and why they happen\n\n| trigger | from | to | why |\n|---|---|---|---|\n");
    for (Transition t : LifecycleTable.transitions()) {
      md.append("| `").append(t.trigger().eventName()).append("` | ").append(t.from().wireName()).append(" | ")
          .append(t.changesStatus() ? t.to().wireName() : "=").append(" | ").append(t.reason()).append(" |\n");
    }
    md.append("\n## Events that record a decision without a transition\n\n")
        .append("Seed 01's names, kept verbatim (`LifecycleEventNames`):\n\n");
    Arrays.stream(LifecycleEventNames.class.getDeclaredFields())
        .filter(f -> java.lang.reflect.Modifier.isStatic(f.getModifiers()) && f.getType() == String.class)
        .forEach(f -> {
          try {
            md.append("- `").append(f.get(null)).append("`\n");
          } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
          }
        });
    renderTasks(md);
    return md.toString();
  }

  private static void renderTasks(StringBuilder md) {
    md.append("\n# Task lifecycle\n\n")
        .append("<!-- Generated from core/src/main/java/dev/rollcall/core/persistence/TaskTrigger.java by\n")
        .append("     LifecycleDocTest; do not edit by hand. -->\n\n")
        .append("Every state change of a task is one row of this table, applied by `TaskRepository` as a conditional\n")
        .append("`UPDATE` whose state condition is generated from the row, with the event below inserted into `task_events`\n")
        .append("in the same transaction (and the agent's own transition, when it moves too). `delivered` (the gateway\n")
        .append("accepted the start) and `processed` (the agent acknowledged the result) are different on purpose (seed 03).\n")
        .append("An attempt is live, and a report may name it, while its task is ")
        .append(TaskTrigger.live().stream().map(s -> "`" + s.wireName() + "`").collect(Collectors.joining(" or "))).append(".\n\n")
        .append("Rows are triggers, columns the current state (`new`: the task does not exist yet); a cell is the next\n")
        .append("state, `=` for legal and unchanged, blank for illegal.\n\n| trigger | event | new |");
    for (TaskRecord.State s : TaskRecord.State.values()) {
      md.append(' ').append(s.wireName()).append(" |");
    }
    md.append(" why |\n|---|---|---|").append("---|".repeat(TaskRecord.State.values().length)).append("---|\n");
    for (TaskTrigger t : TaskTrigger.values()) {
      md.append("| `").append(t.name()).append("` | `").append(t.eventName()).append("` | ")
          .append(t.from().isEmpty() ? t.to().wireName() : "").append(" |");
      for (TaskRecord.State s : TaskRecord.State.values()) {
        md.append(' ').append(!t.appliesTo(s) ? "" : t.to() == s ? "=" : t.to().wireName()).append(" |");
      }
      md.append(' ').append(t.reason()).append(" |\n");
    }
  }
}
