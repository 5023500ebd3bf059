package avalanche.auth;

import avalanche.infra.config.AuthSettings;
import avalanche.infra.http.ApiException;
import avalanche.infra.http.Bodies;
import avalanche.infra.http.Http;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code /api/auth/password/reset} (mail a single-use token) and {@code .../reset/confirm}. */
public final class PasswordResetRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(PasswordResetRoutes.class);

  private final Vertx vertx;
  private final AccountStore accounts;
  private final SessionStore sessions;
  private final AccountMails mails;
  private final AbuseLimits limits;
  private final long resetTtlSeconds;

  public PasswordResetRoutes(
      Vertx vertx,
      AccountStore accounts,
      SessionStore sessions,
      AccountMails mails,
      AbuseLimits limits,
      AuthSettings auth) {
    this.vertx = vertx;
    this.accounts = accounts;
    this.sessions = sessions;
    this.mails = mails;
    this.limits = limits;
    this.resetTtlSeconds = auth.resetTokenTtlSeconds();
  }

  public void mount(Router router) {
    router.post("/api/auth/password/reset").handler(Http.handle(202, this::request));
    router.post("/api/auth/password/reset/confirm").handler(this::confirm);
  }

  /**
   * 202 whatever the email; answered before the lookup, so neither the answer nor its time tells.
   */
  private Future<JsonObject> request(RoutingContext ctx) {
    String email = AccountInput.lookupEmail(Bodies.object(ctx, false));
    return limits
        .check(limits.reset(), email, ctx)
        .map(
            allowed -> {
              String token = AccountMails.newToken();
              accounts
                  .issueToken(
                      email,
                      AccountStore.RESET_PASSWORD,
                      AccountMails.hash(token),
                      resetTtlSeconds,
                      "ACTIVE",
                      "PENDING_VERIFICATION")
                  .onSuccess(
                      userId -> {
                        if (userId != null) {
                          mails.send(AccountMails.Kind.RESET, email, token);
                        }
                      })
                  .onFailure(e -> LOG.error("password reset request failed: {}", e.getMessage()));
              return new JsonObject().put("status", "ACCEPTED");
            });
  }

  /** Sets the new password and ends every session of the account. */
  private void confirm(RoutingContext ctx) {
    JsonObject body = Bodies.object(ctx, false);
    String token = Bodies.string(body, "token", 256);
    String password = AccountInput.password(body, "newPassword");
    String tokenHash = AccountMails.hash(token);
    accounts
        .resetTokenValid(tokenHash)
        .compose(
            valid -> {
              if (!valid) {
                throw SignupRoutes.invalidToken();
              }
              return PasswordHasher.hash(vertx, password);
            })
        .compose(hash -> accounts.resetPassword(tokenHash, hash))
        .compose(
            userId -> {
              if (userId == null) {
                throw SignupRoutes.invalidToken();
              }
              return sessions
                  .endAll(userId)
                  .recover(
                      e ->
                          Future.failedFuture(
                              ApiException.unavailable(
                                  "password changed, but sessions could not be "
                                      + "ended; try again")));
            })
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }
}
