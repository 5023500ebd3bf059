package avalanche.auth;

import avalanche.infra.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Verifies the Bearer access token (signature, HS256 only, expiry), then that its session is still
 * alive, and attaches the {@link UserContext}; anything else is 401 (400 for a header that is not
 * printable ASCII).
 */
public final class AuthHandler implements Handler<RoutingContext> {
  private final JwtTokens tokens;
  private final SessionCheck sessions;
  // One handler per ingress instance, so one event loop.
  private final VerifiedTokens verified = new VerifiedTokens(16_384);

  public AuthHandler(JwtTokens tokens, SessionCheck sessions) {
    this.tokens = tokens;
    this.sessions = sessions;
  }

  @Override
  public void handle(RoutingContext ctx) {
    authenticate(ctx.request().getHeader("Authorization"))
        .onComplete(
            user -> {
              if (user.succeeded()) {
                user.result().attach(ctx);
                ctx.next();
              } else {
                ctx.fail(user.cause());
              }
            });
  }

  /**
   * The caller behind an {@code Authorization} header, or a failed future with the 401 (or 503) to
   * answer.
   */
  public Future<UserContext> authenticate(String header) {
    if (header == null
        || !header.regionMatches(true, 0, "Bearer ", 0, 7)
        || header.length() > 4096) {
      return Future.failedFuture(ApiException.unauthorized("a Bearer access token is required"));
    }
    String token = header.substring(7).trim();
    UserContext user = verified.get(token, System.currentTimeMillis() / 1000);
    if (user == null) {
      // Only tokens verified before are remembered, so a cache hit needs no such check.
      if (!printableAscii(token)) {
        return Future.failedFuture(
            ApiException.validation("the Authorization header must be printable ASCII"));
      }
      try {
        JsonObject claims = tokens.verify(token);
        user = UserContext.fromClaims(claims);
        if (user.sessionId() == null) {
          throw new IllegalArgumentException("no session");
        }
        verified.verified(token, user, claims.getLong("exp"));
      } catch (RuntimeException e) {
        return Future.failedFuture(ApiException.unauthorized("the access token is not valid"));
      }
    }
    UserContext caller = user;
    return sessions
        .alive(user)
        .transform(
            alive -> {
              if (alive.failed()) {
                return Future.failedFuture(
                    ApiException.unavailable("session store unavailable, try again"));
              }
              return alive.result()
                  ? Future.succeededFuture(caller)
                  : Future.failedFuture(
                      ApiException.unauthorized("the session has ended; log in again"));
            });
  }

  /**
   * A JWT is base64url and dots. A control character or a byte beyond ASCII (the HTTP decoder hands
   * those over as Latin-1, so invalid UTF-8 arrives as such) is malformed input, not a wrong
   * credential.
   */
  private static boolean printableAscii(String token) {
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /** After {@link AuthHandler}: only the admin role passes, others get 403. */
  public static void requireAdmin(RoutingContext ctx) {
    if (UserContext.of(ctx).isAdmin()) {
      ctx.next();
    } else {
      ctx.fail(ApiException.forbidden("admin only"));
    }
  }
}
