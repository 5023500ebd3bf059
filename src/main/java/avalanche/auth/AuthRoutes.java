package avalanche.auth;

import avalanche.infra.ApiException;
import avalanche.infra.Bodies;
import avalanche.infra.Http;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.Arrays;

/** {@code /api/auth/*}: login. */
public final class AuthRoutes {
  /** Checked when the email is unknown, so that answer takes as long as a wrong password. */
  private static final String DUMMY_HASH =
      "$argon2id$v=19$m=16384,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3pVwRDI8hUq3t9Wp1TzEo3VGqXcOJzFVi5Y2bLgKk2Q";

  private final Vertx vertx;
  private final Pool pg;
  private final SessionStore sessions;

  public AuthRoutes(Vertx vertx, Pool pg, SessionStore sessions) {
    this.vertx = vertx;
    this.pg = pg;
    this.sessions = sessions;
  }

  public void mount(Router router) {
    router.post("/api/auth/login").handler(Http.handle(200, this::login));
  }

  private Future<JsonObject> login(RoutingContext ctx) {
    JsonObject body = Bodies.object(ctx, false);
    String email = Bodies.string(body, "email", 320).trim().toLowerCase();
    String password = Bodies.string(body, "password", 200);
    String clientId = Bodies.string(body, "clientId", 64);
    return pg.preparedQuery("SELECT id, password_hash, status, roles FROM users WHERE email = $1")
        .execute(Tuple.of(email))
        .compose(rows -> {
          Row row = rows.iterator().hasNext() ? rows.iterator().next() : null;
          return PasswordHasher.matches(vertx, password, row == null ? DUMMY_HASH : row.getString("password_hash"))
              .compose(ok -> {
                if (row == null || !ok) {
                  throw new ApiException(401, "INVALID_CREDENTIALS", "wrong email or password");
                }
                if (!"ACTIVE".equals(row.getString("status"))) {
                  throw new ApiException(403, "EMAIL_NOT_VERIFIED", "verify your email first");
                }
                return sessions.open(row.getLong("id"), Arrays.asList(row.getArrayOfStrings("roles")), clientId);
              });
        });
  }
}
