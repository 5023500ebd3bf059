package avalanche.auth;

import avalanche.infra.config.JwtSettings;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HS256 access tokens: {@code sub} user id, {@code roles}, {@code sid} session, {@code cid} client
 * id.
 *
 * <p>Issued by vertx-auth-jwt. Verified here, synchronously, because every purchase pays for it:
 * one HMAC over the signed part, one streaming parse of the claims (the header of our own tokens is
 * compared as text, any other header is parsed and must say HS256), then issue time and expiry with
 * a small leeway.
 */
public final class JwtTokens {
  private static final Base64.Decoder B64URL = Base64.getUrlDecoder();
  private static final JsonFactory JSON = new JsonFactory();
  static final long LEEWAY_SECONDS = 5;

  private final JWTAuth auth;
  private final int accessTtlSeconds;
  private final SecretKeySpec key;
  private final ThreadLocal<Mac> macs;
  private final String ownHeader;

  public JwtTokens(Vertx vertx, JwtSettings jwt) {
    this.accessTtlSeconds = jwt.accessTtlSeconds();
    String secret = jwt.requiredSecret();
    this.auth =
        JWTAuth.create(
            vertx,
            new JWTAuthOptions()
                .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret))
                .setJWTOptions(
                    new JWTOptions().setAlgorithm("HS256").setLeeway((int) LEEWAY_SECONDS)));
    this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    this.macs = ThreadLocal.withInitial(this::newMac);
    String sample = auth.generateToken(new JsonObject(), new JWTOptions().setAlgorithm("HS256"));
    this.ownHeader = sample.substring(0, sample.indexOf('.'));
  }

  public int accessTtlSeconds() {
    return accessTtlSeconds;
  }

  public String issue(long userId, List<String> roles, String sessionId, String clientId) {
    JsonObject claims =
        new JsonObject()
            .put("sub", Long.toString(userId))
            .put("roles", new JsonArray(roles))
            .put("sid", sessionId)
            .put("cid", clientId);
    return auth.generateToken(
        claims, new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(accessTtlSeconds));
  }

  /**
   * The verified claims of a token; throws {@link IllegalArgumentException} for anything but a
   * well-formed HS256 token with a valid signature that has not expired (nor is issued in the
   * future, nor not yet valid), whose integer {@code iat} and {@code exp} are at most the access
   * token TTL apart.
   */
  public JsonObject verify(String token) {
    int firstDot = token.indexOf('.');
    int secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
    if (secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) {
      throw new IllegalArgumentException("not a signed JWT");
    }
    String header = token.substring(0, firstDot);
    if (!header.equals(ownHeader) && !"HS256".equals(json(header).getString("alg"))) {
      throw new IllegalArgumentException("not HS256");
    }
    byte[] expected =
        macs.get().doFinal(token.substring(0, secondDot).getBytes(StandardCharsets.US_ASCII));
    if (!MessageDigest.isEqual(expected, decode(token.substring(secondDot + 1)))) {
      throw new IllegalArgumentException("bad signature");
    }
    JsonObject claims = claims(decode(token.substring(firstDot + 1, secondDot)));
    long now = System.currentTimeMillis() / 1000;
    long exp = seconds(claims, "exp");
    long iat = seconds(claims, "iat");
    if (now - LEEWAY_SECONDS >= exp) {
      throw new IllegalArgumentException("expired");
    }
    if (iat > now + LEEWAY_SECONDS
        || (claims.getValue("nbf") != null && seconds(claims, "nbf") > now + LEEWAY_SECONDS)) {
      throw new IllegalArgumentException("not valid yet");
    }
    // We issue tokens for accessTtlSeconds; a longer one (exp 1e30 would never expire) was not made
    // by this
    // configuration. Written without a sum that could overflow: exp lies between now - leeway and
    // Long.MAX_VALUE.
    if (exp <= iat || iat < exp - accessTtlSeconds - LEEWAY_SECONDS) {
      throw new IllegalArgumentException("lifetime beyond the access token TTL");
    }
    return claims;
  }

  /**
   * A time claim: a JSON integer of seconds. A fraction, an exponent or more than 64 bits is no
   * time we issue.
   */
  private static long seconds(JsonObject claims, String name) {
    Object value = claims.getValue(name);
    if (!(value instanceof Integer || value instanceof Long)) {
      throw new IllegalArgumentException(name + " is not an integer");
    }
    return ((Number) value).longValue();
  }

  /**
   * The payload's claims, read with Jackson's streaming parser rather than its object mapper (every
   * purchase with a new token pays for this): strings, numbers, booleans and nulls as they are,
   * {@code roles} as an array of strings; other arrays and objects are skipped, nothing reads them.
   */
  static JsonObject claims(byte[] json) {
    try (JsonParser parser = JSON.createParser(json)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("the claims are not a JSON object");
      }
      JsonObject claims = new JsonObject();
      for (JsonToken field = parser.nextToken();
          field == JsonToken.FIELD_NAME;
          field = parser.nextToken()) {
        String name = parser.currentName();
        switch (parser.nextToken()) {
          case VALUE_STRING -> claims.put(name, parser.getText());
          case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> claims.put(name, parser.getNumberValue());
          case VALUE_TRUE, VALUE_FALSE -> claims.put(name, parser.getBooleanValue());
          case VALUE_NULL -> claims.putNull(name);
          case START_ARRAY -> {
            if ("roles".equals(name)) {
              claims.put(name, strings(parser));
            } else {
              parser.skipChildren();
            }
          }
          default -> parser.skipChildren();
        }
      }
      if (parser.currentToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
        throw new IllegalArgumentException("the claims are not one JSON object");
      }
      return claims;
    } catch (IOException e) {
      throw new IllegalArgumentException("the claims are not JSON", e);
    }
  }

  private static JsonArray strings(JsonParser parser) throws IOException {
    JsonArray values = new JsonArray();
    for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
      if (t != JsonToken.VALUE_STRING) {
        throw new IllegalArgumentException("roles must be strings");
      }
      values.add(parser.getText());
    }
    return values;
  }

  private static JsonObject json(String base64url) {
    return new JsonObject(Buffer.buffer(decode(base64url)));
  }

  private static byte[] decode(String base64url) {
    return B64URL.decode(base64url);
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
