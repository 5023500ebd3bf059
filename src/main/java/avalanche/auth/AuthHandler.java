package avalanche.auth;

import avalanche.infra.ApiException;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/** Verifies the Bearer access token and attaches the {@link UserContext}; anything else is 401. */
public final class AuthHandler implements Handler<RoutingContext> {
  private final JwtTokens tokens;

  public AuthHandler(JwtTokens tokens) {
    this.tokens = tokens;
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
            return UserContext.fromClaims(claims);
          } catch (RuntimeException e) {
            throw ApiException.unauthorized("the access token is not valid");
          }
        })
        .onSuccess(user -> {
          user.attach(ctx);
          ctx.next();
        })
        .onFailure(e -> ctx.fail(e instanceof ApiException ? e : ApiException.unauthorized("the access token is not valid")));
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
