package avalanche.auth;

import avalanche.infra.ApiException;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Verifies the Bearer access token (signature, HS256 only, expiry), then that its session is still alive, and
 * attaches the {@link UserContext}; anything else is 401.
 */
public final class AuthHandler implements Handler<RoutingContext> {
  private final JwtTokens tokens;
  private final SessionCheck sessions;

  public AuthHandler(JwtTokens tokens, SessionCheck sessions) {
    this.tokens = tokens;
    this.sessions = sessions;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() > 4096) {
      ctx.fail(ApiException.unauthorized("a Bearer access token is required"));
      return;
    }
    UserContext user;
    try {
      user = UserContext.fromClaims(tokens.verify(header.substring(7).trim()));
      if (user.sessionId() == null) {
        throw new IllegalArgumentException("no session");
      }
    } catch (RuntimeException e) {
      ctx.fail(ApiException.unauthorized("the access token is not valid"));
      return;
    }
    sessions.alive(user).onComplete(alive -> {
      if (alive.failed()) {
        ctx.fail(ApiException.unavailable("session store unavailable, try again"));
      } else if (alive.result()) {
        user.attach(ctx);
        ctx.next();
      } else {
        ctx.fail(ApiException.unauthorized("the session has ended; log in again"));
      }
    });
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
