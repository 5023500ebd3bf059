package avalanche.user;

import avalanche.auth.AccountStore;
import avalanche.auth.AuthHandler;
import avalanche.auth.UserContext;
import avalanche.infra.http.ApiException;
import avalanche.infra.http.Http;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;

/** {@code GET /api/users/me}: the caller's profile, personal data decrypted, and points. */
public final class UserRoutes {
  private final AccountStore accounts;
  private final PiiCipher pii;

  public UserRoutes(AccountStore accounts, PiiCipher pii) {
    this.accounts = accounts;
    this.pii = pii;
  }

  public void mount(Router router, AuthHandler auth) {
    router.get("/api/users/me").handler(auth).handler(Http.handle(200, this::me));
  }

  private Future<JsonObject> me(RoutingContext ctx) {
    UserContext user = UserContext.of(ctx);
    return accounts
        .profile(user.userId())
        .map(
            row -> {
              if (row == null) {
                throw ApiException.unauthorized("this account no longer exists");
              }
              return new JsonObject()
                  .put("userId", row.getLong("id").toString())
                  .put("email", row.getString("email"))
                  .put("name", open(row, "name"))
                  .put("phone", open(row, "phone"))
                  .put("address", open(row, "address"))
                  .put("points", row.getLong("points"))
                  .put("status", row.getString("status"));
            });
  }

  /** Accounts made without a profile (admin, load-test users) have nulls here. */
  private String open(Row row, String field) {
    Buffer sealed = row.getBuffer(field + "_enc");
    return sealed == null ? null : pii.decrypt(field, sealed.getBytes());
  }
}
