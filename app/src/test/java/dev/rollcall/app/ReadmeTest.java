package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.config.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

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
