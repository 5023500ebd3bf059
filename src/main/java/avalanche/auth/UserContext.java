package avalanche.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** Who is calling, taken from a verified access token and passed on to handlers. */
/** {@code issuedAt}: the token's {@code iat} (epoch seconds; 0 when it has none). */
public record UserContext(
    long userId, List<String> roles, String sessionId, String clientId, long issuedAt) {
  private static final String KEY = "avalanche.user";

  public static UserContext fromClaims(JsonObject claims) {
    JsonArray roles = claims.getJsonArray("roles", new JsonArray());
    return new UserContext(
        Long.parseLong(claims.getString("sub")),
        roles.stream().map(String::valueOf).toList(),
        claims.getString("sid"),
        claims.getString("cid"),
        claims.getLong("iat", 0L));
  }

  public boolean isAdmin() {
    return roles.contains("ADMIN");
  }

  public void attach(RoutingContext ctx) {
    ctx.put(KEY, this);
  }

  public static UserContext of(RoutingContext ctx) {
    UserContext user = ctx.get(KEY);
    if (user == null) {
      throw new IllegalStateException("route is missing the auth handler");
    }
    return user;
  }
}
