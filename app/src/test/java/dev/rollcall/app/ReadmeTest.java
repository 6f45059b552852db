package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.config.Setting;
import org.assertj.core.api.SoftAssertions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The README documents every setting and the two set-up commands that CI and newcomers rely on. */
class ReadmeTest {
  private static final Path ROOT = Path.of("..");

  @Test
  void everySettingIsInTheConfigurationTable() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    for (Setting s : Setting.values()) {
      assertThat(readme).as(s.env()).contains("| `" + s.env() + "` | `" + s.key() + "` |");
    }
  }

  /** The row says what the code does: its default and its meaning are the enum's (backticks aside). */
  @Test
  void everySettingsRowCarriesTheCodesDefaultAndMeaning() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    SoftAssertions rows = new SoftAssertions();
    for (Setting s : Setting.values()) {
      String prefix = "| `" + s.env() + "` | `" + s.key() + "` | ";
      String row = readme.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow();
      String[] cells = row.substring(prefix.length(), row.length() - 2).split(" \\| ", 2);
      String expectedDefault = switch (s) {
        case HTTP_INSTANCES -> "number of cores";
        case PUBLIC_URL -> "`http://<httpHost>:<agent port>`";
        default -> s.defaultValue() == null ? "unset" : "`" + s.defaultValue() + "`";
      };
      rows.assertThat(cells[0]).as("default of %s", s.env()).isEqualTo(expectedDefault);
      rows.assertThat(cells[1].replace("`", "")).as("meaning of %s", s.env()).isEqualTo(s.description().replace("`", ""));
    }
    rows.assertAll();
  }

  /** Every verb the jar has is in the README, and every `rollcall.jar <verb>` the README shows exists. */
  @Test
  void theReadmesCommandsAreTheJarsVerbs() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    Set<String> verbs = new CommandLine(new Main()).getSubcommands().keySet();
    for (String verb : verbs) {
      assertThat(readme).as("README shows %s", verb).containsPattern("(rollcall\\.jar|`rollcall) " + verb + "\\b");
    }
    Matcher shown = Pattern.compile("rollcall\\.jar ([a-z][a-z-]*)").matcher(readme);
    while (shown.find()) {
      assertThat(verbs).as("`rollcall.jar %s` in the README", shown.group(1)).contains(shown.group(1));
    }
  }

  /** The README says what Rollcall does, for a user: no project history, no issue numbers. */
  @Test
  void theReadmeTellsNoHistory() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    assertThat(readme).doesNotContainPattern("(?i)\\bissue \\d+").doesNotContain("not built yet").doesNotContain("../shared/");
  }

  @Test
  void ciRunsTheReadmesTestCommand() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    String ci = Files.readString(ROOT.resolve(".ci/run"));
    String testCommand = "./mvnw -B -ntp verify";
    assertThat(readme).contains("```bash\n" + testCommand + "\n```");
    assertThat(ci).contains("exec " + testCommand);
    assertThat(readme).contains("```bash\n./mvnw -B -ntp -DskipTests package && java -jar app/target/rollcall.jar dev\n```");
  }
}
