package avalanche.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import avalanche.App;
import avalanche.infra.config.ConfigException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PiiCipherTest {
  private static final byte[] KEY =
      "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  @Test
  void sealsWithAFreshNonceAndOpensOnlyUnchangedWithTheSameKeyAndField() {
    PiiCipher cipher = new PiiCipher(KEY);
    byte[] a = cipher.encrypt("address", "1 Main Street");
    byte[] b = cipher.encrypt("address", "1 Main Street");
    assertThat(a).isNotEqualTo(b);
    assertThat(cipher.decrypt("address", a)).isEqualTo("1 Main Street");
    assertThat(cipher.decrypt("address", b)).isEqualTo("1 Main Street");

    byte[] tampered = a.clone();
    tampered[tampered.length - 1] ^= 1;
    assertThatThrownBy(() -> cipher.decrypt("address", tampered))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> cipher.decrypt("name", a))
        .as("sealed for another column")
        .isInstanceOf(IllegalArgumentException.class);
    byte[] otherKey = KEY.clone();
    otherKey[0] ^= 1;
    assertThatThrownBy(() -> new PiiCipher(otherKey).decrypt("address", a))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theKeyMustBeBase64OfThirtyTwoBytes() {
    assertThat(PiiCipher.parseKey(Base64.getEncoder().encodeToString(KEY))).isEqualTo(KEY);
    assertThatThrownBy(() -> PiiCipher.parseKey("not base64!"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("AVALANCHE_PII_KEY");
    assertThatThrownBy(() -> PiiCipher.parseKey(Base64.getEncoder().encodeToString(new byte[16])))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("32 bytes");
  }

  /** Both checks run before any server starts, so a bad setting fails in well under a second. */
  @Test
  void startFailsFastWithoutAKeyForAnExternalDatabaseOrWithABadKey() {
    Map<String, String> externalPg =
        Map.of("AVALANCHE_PG_URL", "postgresql://u:p@127.0.0.1:1/none");
    assertThatThrownBy(() -> App.start(externalPg, new JsonObject()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("AVALANCHE_PII_KEY: required");
    assertThatThrownBy(() -> App.start(Map.of("AVALANCHE_PII_KEY", "c2hvcnQ="), new JsonObject()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("32 bytes");
  }
}
