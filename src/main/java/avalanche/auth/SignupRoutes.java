package avalanche.auth;

import avalanche.infra.config.Settings;
import avalanche.infra.http.ApiException;
import avalanche.infra.http.Bodies;
import avalanche.infra.http.Http;
import avalanche.user.PiiCipher;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code /api/auth/signup}, {@code /api/auth/verify}, {@code /api/auth/verify/resend}. */
public final class SignupRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(SignupRoutes.class);

  private final Vertx vertx;
  private final AccountStore accounts;
  private final PiiCipher pii;
  private final AccountMails mails;
  private final AbuseLimits limits;
  private final long verifyTtlSeconds;
  private final long signupPoints;

  public SignupRoutes(
      Vertx vertx,
      AccountStore accounts,
      PiiCipher pii,
      AccountMails mails,
      AbuseLimits limits,
      Settings settings) {
    this.vertx = vertx;
    this.accounts = accounts;
    this.pii = pii;
    this.mails = mails;
    this.limits = limits;
    this.verifyTtlSeconds = settings.auth().verifyTokenTtlSeconds();
    this.signupPoints = settings.signupPoints();
  }

  public void mount(Router router) {
    router.post("/api/auth/signup").handler(Http.handle(201, this::signup));
    router.get("/api/auth/verify").handler(Http.handle(200, this::verify));
    router.post("/api/auth/verify/resend").handler(Http.handle(202, this::resend));
  }

  private Future<JsonObject> signup(RoutingContext ctx) {
    JsonObject body = Bodies.object(ctx, false);
    String email = AccountInput.email(body);
    String password = AccountInput.password(body, "password");
    AccountStore.Profile profile =
        new AccountStore.Profile(
            pii.encrypt("name", AccountInput.text(body, "name", 100)),
            pii.encrypt("phone", AccountInput.phone(body)),
            pii.encrypt("address", AccountInput.text(body, "address", 500)));
    String token = AccountMails.newToken();
    return limits
        .check(limits.signup(), null, ctx)
        .compose(allowed -> PasswordHasher.hash(vertx, password))
        .compose(
            hash ->
                accounts.create(email, hash, profile, AccountMails.hash(token), verifyTtlSeconds))
        .map(
            userId -> {
              if (userId == null) {
                throw new ApiException(409, "EMAIL_TAKEN", "an account with this email exists");
              }
              mails.send(AccountMails.Kind.VERIFY, email, token);
              return new JsonObject()
                  .put("userId", userId.toString())
                  .put("status", "PENDING_VERIFICATION");
            });
  }

  private Future<JsonObject> verify(RoutingContext ctx) {
    String token = ctx.queryParams().get("token");
    if (token == null || token.isBlank()) {
      throw ApiException.validation("token is required");
    }
    if (token.length() > 256) {
      throw invalidToken();
    }
    return accounts
        .verify(AccountMails.hash(token), signupPoints)
        .map(
            valid -> {
              if (!valid) {
                throw invalidToken();
              }
              return new JsonObject().put("status", "ACTIVE");
            });
  }

  /**
   * 202 whatever the email: the mail goes out only to an account still waiting for verification.
   */
  private Future<JsonObject> resend(RoutingContext ctx) {
    String email = AccountInput.lookupEmail(Bodies.object(ctx, false));
    return limits
        .check(limits.resend(), email, ctx)
        .map(
            allowed -> {
              String token = AccountMails.newToken();
              // Answered before the lookup, so the time taken tells nothing either.
              accounts
                  .issueToken(
                      email,
                      AccountStore.VERIFY_EMAIL,
                      AccountMails.hash(token),
                      verifyTtlSeconds,
                      "PENDING_VERIFICATION")
                  .onSuccess(
                      userId -> {
                        if (userId != null) {
                          mails.send(AccountMails.Kind.VERIFY, email, token);
                        }
                      })
                  .onFailure(e -> LOG.error("verification resend failed: {}", e.getMessage()));
              return new JsonObject().put("status", "ACCEPTED");
            });
  }

  static ApiException invalidToken() {
    return new ApiException(400, "INVALID_TOKEN", "the token is unknown, used or expired");
  }
}
