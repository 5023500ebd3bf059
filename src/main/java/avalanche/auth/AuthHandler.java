package avalanche.auth;

import avalanche.infra.ApiException;
import io.vertx.core.Future;
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
    tokens.verify(header.substring(7).trim())
        .map(claims -> {
          try {
            UserContext user = UserContext.fromClaims(claims);
            if (user.sessionId() == null) {
              throw new IllegalArgumentException("no session");
            }
            return user;
          } catch (RuntimeException e) {
            throw ApiException.unauthorized("the access token is not valid");
          }
        })
        .recover(e -> Future.failedFuture(
            e instanceof ApiException ? e : ApiException.unauthorized("the access token is not valid")))
        .compose(user -> sessions.alive(user)
            .recover(e -> Future.failedFuture(ApiException.unavailable("session store unavailable, try again")))
            .compose(alive -> alive
                ? Future.succeededFuture(user)
                : Future.failedFuture(ApiException.unauthorized("the session has ended; log in again"))))
        .onSuccess(user -> {
          user.attach(ctx);
          ctx.next();
        })
        .onFailure(ctx::fail);
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
