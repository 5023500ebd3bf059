package avalanche.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.util.List;

/** HS256 access tokens: {@code sub} user id, {@code roles}, {@code sid} session, {@code cid} client id. */
public final class JwtTokens {
  private final JWTAuth auth;
  private final int accessTtlSeconds;

  public JwtTokens(Vertx vertx, JsonObject config) {
    JsonObject jwt = config.getJsonObject("jwt");
    this.accessTtlSeconds = jwt.getInteger("accessTtlSeconds", 900);
    this.auth = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(jwt.getString("secret")))
        .setJWTOptions(new JWTOptions().setAlgorithm("HS256").setLeeway(5)));
  }

  public int accessTtlSeconds() {
    return accessTtlSeconds;
  }

  public String issue(long userId, List<String> roles, String sessionId, String clientId) {
    JsonObject claims = new JsonObject()
        .put("sub", Long.toString(userId))
        .put("roles", new JsonArray(roles))
        .put("sid", sessionId)
        .put("cid", clientId);
    return auth.generateToken(claims, new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(accessTtlSeconds));
  }

  /** The verified claims; fails for a bad signature, another algorithm, or an expired token. */
  public Future<JsonObject> verify(String token) {
    return auth.authenticate(new TokenCredentials(token)).map(user -> user.principal());
  }
}
