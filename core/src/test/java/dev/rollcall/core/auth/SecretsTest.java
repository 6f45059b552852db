package dev.rollcall.core.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollcall.core.util.Uuids;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SecretsTest {
  @Test
  void aGeneratedSecretParsesBackToItsIdAndHash() {
    Secrets.IssuedSecret issued = Secrets.generate();
    Secrets.PresentedSecret presented = Secrets.parse("  " + issued.text() + "\n").orElseThrow();
    assertThat(presented.id()).isEqualTo(issued.id());
    assertThat(Secrets.sameHash(presented.hash(), issued.hash())).isTrue();
    assertThat(issued.toString()).doesNotContain(issued.text().substring(37));
  }

  @Test
  void anythingNotShapedLikeIdDotSecretIsRefused() {
    String good = Secrets.generate().text();
    String id = good.substring(0, 36);
    String secret = good.substring(37);
    assertThat(Secrets.parse(null)).isEmpty();
    assertThat(Secrets.parse("")).isEmpty();
    assertThat(Secrets.parse(id)).isEmpty();
    assertThat(Secrets.parse(id + "." + secret.substring(1))).as("short secret").isEmpty();
    assertThat(Secrets.parse(id + "." + secret + "A")).as("long secret").isEmpty();
    assertThat(Secrets.parse(id + ":" + secret)).as("separator").isEmpty();
    assertThat(Secrets.parse(id + "." + secret.substring(1) + "=")).as("padding").isEmpty();
    assertThat(Secrets.parse(id + "." + secret.substring(1) + "+")).as("plain base64").isEmpty();
    assertThat(Secrets.parse(id + "." + secret.substring(1) + "\u00e9")).as("Latin-1 letter").isEmpty();
    assertThat(Secrets.parse(id + "." + "\u0100" + secret.substring(1))).as("beyond Latin-1").isEmpty();
    assertThat(Secrets.parse(id + "." + secret.substring(1) + "\u007f")).as("DEL").isEmpty();
    assertThat(Secrets.parse(id.replace('-', 'x') + "." + secret)).isEmpty();
    assertThat(Secrets.parse("g" + id.substring(1) + "." + secret)).isEmpty();
  }

  @Test
  void onlyCanonicalUuidTextIsAUuid() {
    UUID id = UUID.randomUUID();
    assertThat(Uuids.parseCanonical(id.toString())).isEqualTo(id);
    assertThat(Uuids.parseCanonical(id.toString().toUpperCase())).isEqualTo(id);
    assertThat(Uuids.parseCanonical("00000000-0000-0000-0000-000000000000")).isEqualTo(new UUID(0, 0));
    assertThat(Uuids.parseCanonical("ffffffff-ffff-ffff-ffff-ffffffffffff")).isEqualTo(new UUID(-1, -1));
    assertThat(Uuids.parseCanonical("1-1-1-1-1")).isNull();
    assertThat(Uuids.parseCanonical(id.toString().replace('-', '0'))).isNull();
    assertThat(Uuids.parseCanonical(id + "0")).isNull();
    assertThat(Uuids.parseCanonical("0000000g-0000-0000-0000-000000000000")).isNull();
    assertThat(Uuids.parseCanonical("\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660-0000-0000-0000-000000000000"))
        .as("non-ASCII digits").isNull();
    assertThat(Uuids.parseCanonical(null)).isNull();
  }
}
