package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every verb's {@code --help} says what each option and parameter does, and what it is when left out.
 * Walks the whole command tree, so a new option without a description fails here.
 */
class HelpTest {

  @Test
  void everyOptionAndParameterOfEveryVerbIsDescribedWithItsDefault() {
    List<String> missing = new ArrayList<>();
    walk(new CommandLine(new Main()), missing);
    assertThat(missing).as("options and parameters whose help is missing a description or its default").isEmpty();
  }

  @Test
  void chaosHelpNamesEachOptionsDefault() {
    StringWriter out = new StringWriter();
    int exit = Main.run(new String[] {"chaos", "--help"}, Map.of(), new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));
    assertThat(exit).isZero();
    String help = out.toString();
    assertThat(optionHelp(help, "--agents")).contains("Simulated agents").contains("(default: 200)");
    assertThat(optionHelp(help, "--gateways")).contains("(default: 4)");
    assertThat(optionHelp(help, "--duration")).contains("(default: 60s)");
    assertThat(optionHelp(help, "--seed=")).contains("(default: 42)");
    assertThat(optionHelp(help, "--report")).contains("default:");
  }

  /** The lines of one option in a usage message: from its name to the next option. */
  private static String optionHelp(String help, String option) {
    int from = help.indexOf("\n      " + option);
    assertThat(from).as("%s in%n%s", option, help).isNotNegative();
    int next = help.indexOf("\n  -", from + 1);
    String block = help.substring(from, next < 0 ? help.length() : next);
    return block.replaceAll("\\s+", " ");
  }

  private static void walk(CommandLine command, List<String> missing) {
    CommandSpec spec = command.getCommandSpec();
    for (OptionSpec option : spec.options()) {
      if (option.usageHelp() || option.versionHelp()) {
        continue;
      }
      check(spec, option.longestName(), option, missing);
    }
    spec.positionalParameters().forEach(p -> check(spec, p.paramLabel(), p, missing));
    command.getSubcommands().values().forEach(sub -> walk(sub, missing));
  }

  private static void check(CommandSpec spec, String name, ArgSpec arg, List<String> missing) {
    String description = String.join(" ", arg.description()).trim();
    String where = spec.qualifiedName() + " " + name;
    if (description.isEmpty()) {
      missing.add(where + ": no description");
      return;
    }
    boolean flag = arg.isOption() && arg.typeInfo().isBoolean();
    boolean required = arg.required();
    // A value that may be left out says what it is then: "(default: ...)" or a sentence with "default".
    if (!flag && !required && !description.toLowerCase().contains("default")) {
      missing.add(where + ": no default named (\"" + description + "\")");
    }
  }
}
