package dev.rollcall.core.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The provisioner's bodies read back what they wrote, keep the wire names docs/event-bus.md gives, and refuse bad ids. */
class ProvisionerMessagesTest {
  private static final UUID AGENT = UUID.fromString("6f1c2a4e-0d0b-4c55-9a39-2f1d7f0e9b11");

  @Test
  void everyBodyReadsBackWhatItWrote() {
    ProvisionerMessages.Provision provision = new ProvisionerMessages.Provision(AGENT, "reconciler: lost credential", true, 7L);
    assertThat(ProvisionerMessages.Provision.fromJson(provision.toJson())).isEqualTo(provision);
    ProvisionerMessages.Wake wake = new ProvisionerMessages.Wake(AGENT, "reconciler", "no check-in", 3L);
    assertThat(ProvisionerMessages.Wake.fromJson(wake.toJson())).isEqualTo(wake);
    ProvisionerMessages.CreateAgent create = new ProvisionerMessages.CreateAgent(AGENT, "a1", 4);
    assertThat(ProvisionerMessages.CreateAgent.fromJson(create.toJson())).isEqualTo(create);
    assertThat(ProvisionerMessages.DeleteAgent.fromJson(new ProvisionerMessages.DeleteAgent(AGENT).toJson()).agentId()).isEqualTo(AGENT);
    ProvisionerMessages.Operation operation = new ProvisionerMessages.Operation(AGENT, 2, true);
    assertThat(ProvisionerMessages.Operation.fromJson(operation.toJson())).isEqualTo(operation);
  }

  @Test
  void theWireNamesAreTheDocumentedOnesAndOptionalFieldsAreLeftOut() {
    assertThat(ProvisionerMessages.Wake.byOperator(AGENT).toJson())
        .isEqualTo(new JsonObject().put("agentId", AGENT.toString()).put("source", "operator"));
    assertThat(new ProvisionerMessages.Provision(AGENT, "reconciler", true, 9L).toJson()).isEqualTo(new JsonObject()
        .put("agentId", AGENT.toString()).put("source", "reconciler").put("keepWakeBudget", true).put("expectedVersion", 9L));
    assertThat(new ProvisionerMessages.CreateAgent(AGENT, "a1", null).toJson().fieldNames()).containsExactlyInAnyOrder("gatewayId", "name");
  }

  @Test
  void aBodyWithoutAValidIdIsRefusedAndDefaultsFillTheRest() {
    assertThatThrownBy(() -> ProvisionerMessages.Provision.fromJson(new JsonObject().put("agentId", "not-a-uuid")))
        .isInstanceOf(RuntimeException.class);
    assertThatThrownBy(() -> ProvisionerMessages.Wake.fromJson(new JsonObject())).isInstanceOf(RuntimeException.class);
    ProvisionerMessages.Provision bare = ProvisionerMessages.Provision.fromJson(new JsonObject().put("agentId", AGENT.toString()));
    assertThat(bare).isEqualTo(new ProvisionerMessages.Provision(AGENT, "unknown", false, null));
  }
}
