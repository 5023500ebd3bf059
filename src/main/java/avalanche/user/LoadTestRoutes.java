package avalanche.user;

import avalanche.auth.AuthHandler;
import avalanche.auth.SessionStore;
import avalanche.infra.http.Bodies;
import avalanche.infra.http.Http;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code POST /api/admin/loadtest/users {count, points}}: mints verified users with points, a
 * stored shipping address (so their orders can complete, as a real shopper's do) and a live session
 * each, for load tests. Mounted only when config {@code loadtest} is true; otherwise the path does
 * not exist (404).
 */
public final class LoadTestRoutes {
  public static final int MAX_COUNT = 10_000;

  /** Points each minted user starts with, at most (README, "Input bounds"). */
  private static final long MAX_POINTS = 1_000_000_000_000L;

  public static final String CLIENT_ID = "loadtest";

  /**
   * Every load-test user gets this one Argon2id hash, computed once from 32 random bytes that were
   * thrown away: hashing 10,000 passwords would take minutes, and no password matches it, so these
   * users cannot log in with a password; they use the access token handed out here.
   */
  private static final String NO_PASSWORD_HASH =
      "$argon2id$v=19$m=16384,t=2,p=1$p99DJTyK1cHR0qKzcjN6JQ$/oCo03NEXJh2qW3V2P/yi9nK/G5wuJvO7V15Eb/jyUg";

  /**
   * Sessions are opened this many at a time, so signing tokens never holds the event loop for long.
   */
  private static final int SESSION_CHUNK = 1_000;

  private static final List<String> ROLES = List.of("USER");
  static final String ADDRESS = "1 Load Test Street, Loopback City";

  private final Pool pg;
  private final SessionStore sessions;
  private final PiiCipher pii;
  private final boolean enabled;

  /** {@code enabled}: config {@code loadtest}. */
  public LoadTestRoutes(Pool pg, SessionStore sessions, PiiCipher pii, boolean enabled) {
    this.pg = pg;
    this.sessions = sessions;
    this.pii = pii;
    this.enabled = enabled;
  }

  public void mount(Router router, AuthHandler auth) {
    if (enabled) {
      router
          .post("/api/admin/loadtest/users")
          .handler(auth)
          .handler(AuthHandler::requireAdmin)
          .handler(Http.handle(200, this::provision));
    }
  }

  private Future<JsonObject> provision(RoutingContext ctx) {
    JsonObject body = Bodies.object(ctx, false);
    int count = (int) Bodies.integer(body, "count", 1, MAX_COUNT);
    long points =
        body.getValue("points") == null ? 0 : Bodies.integer(body, "points", 0, MAX_POINTS);
    String batch = UUID.randomUUID().toString().substring(0, 8);
    String[] emails = new String[count];
    for (int i = 0; i < count; i++) {
      emails[i] = "lt-" + batch + "-" + i + "@loadtest.avalanche.local";
    }
    return pg.preparedQuery(
            """
            INSERT INTO users (email, password_hash, status, points, verified_at, address_enc)
            SELECT e, $2, 'ACTIVE', $3, now(), $4 FROM unnest($1::text[]) WITH ORDINALITY AS t(e, n) ORDER BY n
            RETURNING id, email""")
        // One sealed address for the whole batch: encrypting it per user would only cost time.
        .execute(
            Tuple.of(
                emails, NO_PASSWORD_HASH, points, Buffer.buffer(pii.encrypt("address", ADDRESS))))
        .compose(
            rows -> {
              List<Long> ids = new ArrayList<>(count);
              List<String> addresses = new ArrayList<>(count);
              for (Row row : rows) {
                ids.add(row.getLong("id"));
                addresses.add(row.getString("email"));
              }
              return openSessions(ids, 0, new JsonArray())
                  .map(
                      tokens -> {
                        JsonArray users = new JsonArray();
                        for (int i = 0; i < ids.size(); i++) {
                          users.add(
                              new JsonObject()
                                  .put("userId", Long.toString(ids.get(i)))
                                  .put("email", addresses.get(i))
                                  .put("accessToken", tokens.getString(i)));
                        }
                        return new JsonObject().put("users", users);
                      });
            });
  }

  /**
   * One pipelined batch per chunk, chunks one after another; collects the access tokens in order.
   */
  private Future<JsonArray> openSessions(List<Long> ids, int from, JsonArray tokens) {
    if (from >= ids.size()) {
      return Future.succeededFuture(tokens);
    }
    int to = Math.min(ids.size(), from + SESSION_CHUNK);
    return sessions
        .openMany(ids.subList(from, to), ROLES, CLIENT_ID)
        .compose(
            pairs -> {
              pairs.forEach(pair -> tokens.add(pair.getString("accessToken")));
              return openSessions(ids, to, tokens);
            });
  }
}
