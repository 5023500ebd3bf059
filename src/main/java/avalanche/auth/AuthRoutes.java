package avalanche.auth;

import avalanche.infra.http.ApiException;
import avalanche.infra.http.Bodies;
import avalanche.infra.http.Http;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import java.util.Arrays;

/** {@code /api/auth/login|refresh|logout}: sessions per (user, clientId). */
public final class AuthRoutes {
  private final Vertx vertx;
  private final AccountStore accounts;
  private final SessionStore sessions;
  private final AbuseLimits limits;

  public AuthRoutes(Vertx vertx, AccountStore accounts, SessionStore sessions, AbuseLimits limits) {
    this.vertx = vertx;
    this.accounts = accounts;
    this.sessions = sessions;
    this.limits = limits;
  }

  public void mount(Router router, AuthHandler auth) {
    router.post("/api/auth/login").handler(Http.handle(200, this::login));
    router.post("/api/auth/refresh").handler(Http.handle(200, this::refresh));
    router.post("/api/auth/logout").handler(auth).handler(this::logout);
  }

  /**
   * The password is checked before the account's state is told (a wrong password on an unverified
   * account is 401, not 403), and an unknown email is checked against a decoy hash, so neither
   * answer nor timing tells whether an email is registered.
   */
  private Future<JsonObject> login(RoutingContext ctx) {
    JsonObject body = Bodies.object(ctx, false);
    String email = AccountInput.lookupEmail(body);
    String password = Bodies.string(body, "password", AccountInput.PASSWORD_MAX);
    String clientId = AccountInput.clientId(body);
    return limits
        .check(limits.login(), email, ctx)
        .compose(allowed -> accounts.credentials(email))
        .compose(
            row ->
                PasswordHasher.matches(
                        vertx, password, row == null ? null : row.getString("password_hash"))
                    .compose(
                        ok -> {
                          if (row == null || !ok) {
                            throw new ApiException(
                                401, "INVALID_CREDENTIALS", "wrong email or password");
                          }
                          return switch (row.getString("status")) {
                            case "ACTIVE" -> sessions.open(row.getLong("id"), roles(row), clientId);
                            case "PENDING_VERIFICATION" ->
                                throw new ApiException(
                                    403, "EMAIL_NOT_VERIFIED", "verify your email first");
                            default ->
                                throw new ApiException(
                                    403, "ACCOUNT_DISABLED", "this account is disabled");
                          };
                        }));
  }

  private Future<JsonObject> refresh(RoutingContext ctx) {
    JsonObject body = Bodies.object(ctx, false);
    String token = Bodies.string(body, "refreshToken", 512);
    return sessions
        .rotate(token)
        .map(
            refreshed -> {
              if (refreshed.outcome() != SessionStore.Rotation.ROTATED) {
                throw new ApiException(
                    401,
                    "INVALID_TOKEN",
                    refreshed.outcome() == SessionStore.Rotation.REUSED
                        ? "this refresh token was already used; the session has ended, log in again"
                        : "the refresh token is not valid");
              }
              return refreshed.pair();
            });
  }

  private void logout(RoutingContext ctx) {
    UserContext user = UserContext.of(ctx);
    boolean all =
        switch (String.valueOf(ctx.queryParams().get("all")).toLowerCase(java.util.Locale.ROOT)) {
          case "null", "false" -> false;
          case "true" -> true;
          default -> throw ApiException.validation("all must be true or false");
        };
    (all ? sessions.endAll(user.userId()) : sessions.end(user.userId(), user.sessionId()))
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(e -> ctx.fail(ApiException.unavailable("session store unavailable, try again")));
  }

  private static java.util.List<String> roles(Row row) {
    String[] roles = row.getArrayOfStrings("roles");
    return roles == null ? java.util.List.of() : Arrays.asList(roles);
  }
}
