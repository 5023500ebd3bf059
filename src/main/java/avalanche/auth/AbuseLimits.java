package avalanche.auth;

import avalanche.infra.config.AuthSettings;
import avalanche.infra.http.ApiException;
import avalanche.infra.redis.LuaScript;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * Rate limits of the account calls (login, password reset, verification resend, sign-up), per email
 * and per client address, as fixed-window counters in Redis ({@code INCR} + {@code PEXPIRE} in one
 * script) so they hold across ingress instances and processes. Keys: {@code
 * rl:<action>:email:<sha256(email)>} and {@code rl:<action>:addr:<address>}; emails are hashed so
 * the keys hold no personal data. A call over either limit is 429 {@code RATE_LIMITED} with {@code
 * Retry-After} set to the end of that window.
 */
public final class AbuseLimits {
  private static final LuaScript COUNT = LuaScript.load("rate_limit");

  /** One action's limits; a limit of 0 is off. */
  public record Policy(String action, int perEmail, int perAddress, long windowMs) {
    static Policy of(String action, AuthSettings.Limit limit) {
      return new Policy(action, limit.perEmail(), limit.perAddress(), limit.windowSeconds() * 1000);
    }
  }

  private final Redis redis;
  private final Policy login;
  private final Policy reset;
  private final Policy resend;
  private final Policy signup;

  public AbuseLimits(Redis redis, AuthSettings auth) {
    this.redis = redis;
    this.login = Policy.of("login", auth.login());
    this.reset = Policy.of("reset", auth.reset());
    this.resend = Policy.of("resend", auth.resend());
    this.signup = Policy.of("signup", auth.signup());
  }

  public Policy login() {
    return login;
  }

  public Policy reset() {
    return reset;
  }

  public Policy resend() {
    return resend;
  }

  public Policy signup() {
    return signup;
  }

  /**
   * Counts the call; fails with 429 when the email (may be null) or the caller's address is over
   * the limit.
   */
  public Future<Void> check(Policy policy, String email, RoutingContext ctx) {
    List<Future<Response>> counts = new ArrayList<>();
    List<Integer> limits = new ArrayList<>();
    if (policy.perEmail > 0 && email != null) {
      counts.add(
          count("rl:" + policy.action + ":email:" + SessionStore.sha256(email), policy.windowMs));
      limits.add(policy.perEmail);
    }
    var address = ctx.request().remoteAddress();
    if (policy.perAddress > 0 && address != null) {
      counts.add(count("rl:" + policy.action + ":addr:" + address.hostAddress(), policy.windowMs));
      limits.add(policy.perAddress);
    }
    return Future.all(counts)
        .recover(
            e ->
                Future.failedFuture(
                    ApiException.unavailable("rate limiter unavailable, try again")))
        .compose(
            done -> {
              long waitMs = 0;
              for (int i = 0; i < counts.size(); i++) {
                Response r = counts.get(i).result();
                if (r.get(0).toLong() > limits.get(i)) {
                  waitMs = Math.max(waitMs, r.get(1).toLong());
                }
              }
              return waitMs == 0
                  ? Future.succeededFuture()
                  : Future.failedFuture(
                      ApiException.rateLimited(
                          "too many attempts; try again later", (waitMs + 999) / 1000));
            });
  }

  private Future<Response> count(String key, long windowMs) {
    return COUNT.run(redis::send, List.of(key), List.of(Long.toString(windowMs)));
  }
}
