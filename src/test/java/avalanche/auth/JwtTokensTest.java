package avalanche.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import avalanche.infra.config.JwtSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The hand-written HS256 verifier against tokens made by vertx-auth-jwt itself. */
class JwtTokensTest {
  private static final String SECRET = "a-test-secret-of-enough-length-0123456789";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static Vertx vertx;
  private static JwtTokens tokens;
  private static JWTAuth signer;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    tokens = new JwtTokens(vertx, new JwtSettings(Optional.of(SECRET), 900, 2_592_000));
    signer = signer(SECRET);
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  private static JWTAuth signer(String secret) {
    return JWTAuth.create(
        vertx,
        new JWTAuthOptions()
            .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret))
            .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS512").setBuffer(secret)));
  }

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }

  @Test
  void issuedTokensVerifyWithTheirClaims() {
    JsonObject claims = tokens.verify(tokens.issue(12, List.of("USER", "ADMIN"), "s1", "c1"));
    assertThat(UserContext.fromClaims(claims))
        .isEqualTo(
            new UserContext(12, List.of("USER", "ADMIN"), "s1", "c1", claims.getLong("iat")));
    assertThat(claims.getLong("exp") - now()).isBetween(899L, 900L);
  }

  @Test
  void expiryHasFiveSecondsOfLeewayAndNoMore() {
    JsonObject base = new JsonObject().put("sub", "1").put("sid", "s").put("iat", now() - 600);
    String late = sign(base.copy().put("exp", now() - 3));
    String expired = sign(base.copy().put("exp", now() - 7));
    String forever = sign(base.copy());
    assertThat(tokens.verify(late).getString("sub")).isEqualTo("1");
    assertThatThrownBy(() -> tokens.verify(expired)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tokens.verify(forever))
        .as("no exp")
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void tokensFromTheFutureAreRefused() {
    JsonObject base = new JsonObject().put("sub", "1").put("exp", now() + 600);
    assertThatThrownBy(() -> tokens.verify(sign(base.copy().put("iat", now() + 60))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> tokens.verify(sign(base.copy().put("iat", now()).put("nbf", now() + 60))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** exp 1e30 used to pass as Long.MAX_VALUE (JsonObject.getLong of a double) and never expire. */
  @Test
  void timeClaimsAreIntegersAndAtMostTheAccessTtlApart() {
    long now = now();
    JsonObject base = new JsonObject().put("sub", "1");
    assertThat(
            tokens.verify(sign(base.copy().put("iat", now).put("exp", now + 900))).getString("sub"))
        .as("the configured TTL exactly")
        .isEqualTo("1");
    List<JsonObject> refused =
        List.of(
            base.copy().put("iat", now).put("exp", 1e30),
            base.copy().put("iat", now).put("exp", new BigInteger("1" + "0".repeat(30))),
            base.copy().put("iat", now).put("exp", Long.MAX_VALUE),
            base.copy().put("iat", now).put("exp", now + 600.5),
            base.copy().put("iat", now).put("exp", Long.toString(now + 600)),
            base.copy().put("iat", now - 10).put("exp", now + 900),
            base.copy().put("iat", now).put("exp", now),
            base.copy().put("iat", (double) now).put("exp", now + 600),
            base.copy().put("iat", Long.MIN_VALUE).put("exp", now + 600),
            base.copy().put("exp", now + 600),
            base.copy().put("iat", now).put("exp", now + 600).put("nbf", 1e30));
    for (JsonObject claims : refused) {
      assertThatThrownBy(() -> tokens.verify(sign(claims)))
          .as(claims.encode())
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void theClaimsAreReadAsTheyAreAndOnlyRolesAsAnArray() {
    JsonObject claims =
        JwtTokens.claims(
            "{\"sub\":\"7\",\"roles\":[\"USER\",\"ADMIN\"],\"x\":{\"a\":[1,{}]},\"y\":[[]],\"ok\":true,\"n\":null,\"iat\":1,\"exp\":1e3,\"big\":123456789012}"
                .getBytes(StandardCharsets.UTF_8));
    assertThat(claims.getString("sub")).isEqualTo("7");
    assertThat(claims.getJsonArray("roles")).containsExactly("USER", "ADMIN");
    assertThat(claims.fieldNames()).doesNotContain("x", "y");
    assertThat(claims.getBoolean("ok")).isTrue();
    assertThat(claims.containsKey("n")).isTrue();
    assertThat(claims.getValue("iat")).isEqualTo(1);
    assertThat(claims.getValue("exp")).isEqualTo(1000.0);
    assertThat(claims.getValue("big")).isEqualTo(123456789012L);
    for (String bad :
        List.of("", "[]", "\"sub\"", "{\"roles\":[1]}", "{\"a\":1} {}", "{\"a\":", "{\"a\" 1}")) {
      assertThatThrownBy(() -> JwtTokens.claims(bad.getBytes(StandardCharsets.UTF_8)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void otherAlgorithmsKeysAndShapesAreRefused() {
    JsonObject claims = new JsonObject().put("sub", "1").put("iat", now()).put("exp", now() + 600);
    String hs512 = signer.generateToken(claims, new JWTOptions().setAlgorithm("HS512"));
    String foreign =
        signer("another-secret-of-enough-length-0123456789")
            .generateToken(claims, new JWTOptions());
    String valid = sign(claims);
    String[] parts = valid.split("\\.");
    String none =
        B64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[1]
            + ".";
    String reordered =
        B64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    for (String bad :
        List.of(
            hs512,
            foreign,
            none,
            parts[0] + "." + parts[1],
            valid + ".x",
            "",
            "a.b.c",
            reordered + "." + parts[1] + "." + parts[2])) {
      assertThatThrownBy(() -> tokens.verify(bad)).as(bad).isInstanceOf(RuntimeException.class);
    }
  }

  private static String sign(JsonObject claims) {
    return signer.generateToken(
        claims, new JWTOptions().setAlgorithm("HS256").setNoTimestamp(true));
  }
}
