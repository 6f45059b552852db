package dev.rollcall.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollcall.core.node.RollcallModule;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code serve --verticles}: which modules a node runs, and a clear refusal of names that are none. */
class ModulesTest {

  @Test
  void chosenModulesDeployInTheirOwnOrderWhateverTheOrderGiven() {
    assertThat(Modules.select(" reconciler, heartbeat ,token").stream().map(RollcallModule::name))
        .containsExactly("heartbeat", "token", "reconciler");
    assertThat(Modules.select(String.join(",", Modules.NAMES)).stream().map(RollcallModule::name))
        .containsExactlyElementsOf(Modules.NAMES);
  }

  @Test
  void anUnknownOrEmptyListIsRefusedWithTheNamesThatExist() {
    assertThatThrownBy(() -> Modules.select("heartbeat,hearbeat")).hasMessageContaining("unknown verticle 'hearbeat'")
        .hasMessageContaining("heartbeat,token,provisioner,reconciler,dashboard,gateway-sim");
    assertThatThrownBy(() -> Modules.select(" , ")).hasMessageContaining("names none");
  }

  @Test
  void serveSaysSoInOneLineAndExitsOneBeforeStartingAnything() {
    StringWriter err = new StringWriter();
    int exit = Main.run(new String[] {"serve", "--verticles", "heartbeat,nope"}, Map.of(), new PrintWriter(new StringWriter()),
        new PrintWriter(err, true));
    assertThat(exit).isEqualTo(1);
    assertThat(err.toString()).startsWith("rollcall serve: unknown verticle 'nope'");
    StringWriter err2 = new StringWriter();
    assertThat(Main.run(new String[] {"serve", "--verticles", "heartbeat", "--sim-fleet"}, Map.of(), new PrintWriter(new StringWriter()),
        new PrintWriter(err2, true))).isEqualTo(1);
    assertThat(err2.toString()).contains("--sim-fleet needs gateway-sim and provisioner");
  }
}
