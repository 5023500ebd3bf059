package avalanche;

import avalanche.auth.JwtTokens;
import avalanche.infra.Clients;
import avalanche.infra.FreePorts;
import avalanche.infra.Infrastructure;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real Avalanche for tests: the embedded Redis, PostgreSQL, Kafka and SMTP start once per test JVM
 * (the same mechanism as the jar), and each test class starts its own {@link App} on them on a free
 * port. Tests use fresh products and users, so classes do not see each other's data.
 */
public final class TestServer implements AutoCloseable {
  public static final String JWT_SECRET = "test-secret-test-secret-test-secret-0123456789";
  /** Fixed, so that every App of the test JVM reads what another encrypted. */
  public static final String PII_KEY = "test-pii-key-test-pii-key-0123456789";
  public static final String ADMIN_EMAIL = "admin@avalanche.test";
  public static final String ADMIN_PASSWORD = "admin-password-1";
  private static final AtomicLong EMAILS = new AtomicLong();
  private static Infrastructure shared;

  private final App app;
  private final WebClient client;
  private final Pool pg;
  private final Redis redis;
  private final JwtTokens tokens;

  private TestServer(App app) {
    this.app = app;
    Vertx vertx = app.vertx();
    this.client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(app.httpPort()).setKeepAlive(true), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(200));
    this.pg = Clients.pg(vertx, app.config());
    this.redis = Clients.redis(vertx, app.config());
    this.tokens = new JwtTokens(vertx, app.config());
  }

  /** The embedded servers of this test JVM, started on first use and stopped when the JVM exits. */
  public static synchronized Infrastructure infrastructure() {
    if (shared == null) {
      shared = Infrastructure.start(new JsonObject());
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
    }
    return shared;
  }

  public static TestServer start() {
    return start(new JsonObject());
  }

  /** Starts an App on the shared servers; {@code overrides} are merged into the config tree. */
  public static TestServer start(JsonObject overrides) {
    JsonObject config = new JsonObject()
        .put("http", new JsonObject().put("port", FreePorts.pick()).put("host", "127.0.0.1").put("instances", 2))
        .put("jwt", new JsonObject().put("secret", JWT_SECRET))
        .put("pii", new JsonObject().put("key", PII_KEY))
        .put("admin", new JsonObject().put("email", ADMIN_EMAIL).put("password", ADMIN_PASSWORD))
        .mergeIn(overrides, true);
    return new TestServer(App.start(Map.of(), config, infrastructure()));
  }

  public App app() {
    return app;
  }

  public Vertx vertx() {
    return app.vertx();
  }

  public WebClient http() {
    return client;
  }

  public Pool pg() {
    return pg;
  }

  public Redis redis() {
    return redis;
  }

  /** An access token signed with the configured secret, as a login would issue it. */
  public String token(long userId, String... roles) {
    return tokens.issue(userId, roles.length == 0 ? List.of("USER") : List.of(roles), UUID.randomUUID().toString(), "test");
  }

  public Future<String> adminToken() {
    return pg.preparedQuery("SELECT id FROM users WHERE email = $1").execute(Tuple.of(ADMIN_EMAIL))
        .map(rows -> token(rows.iterator().next().getLong("id"), "USER", "ADMIN"));
  }

  /** Inserts verified users with {@code points} each, straight into PostgreSQL; returns their ids. */
  public Future<List<Long>> createUsers(int count, long points) {
    String prefix = "user-" + UUID.randomUUID() + "-";
    JsonArray emails = new JsonArray();
    for (int i = 0; i < count; i++) {
      emails.add(prefix + EMAILS.incrementAndGet() + "@avalanche.test");
    }
    return pg.preparedQuery("""
            INSERT INTO users (email, password_hash, status, points, verified_at)
            SELECT e, 'not-a-login-user', 'ACTIVE', $2, now() FROM unnest($1::text[]) AS e
            RETURNING id""")
        .execute(Tuple.of(emails.stream().map(String::valueOf).toArray(String[]::new), points))
        .map(rows -> {
          List<Long> ids = new java.util.ArrayList<>();
          rows.forEach(row -> ids.add(row.getLong("id")));
          return ids;
        });
  }

  /** Creates a product through the admin API; returns its id. */
  public Future<Long> createProduct(String grade, long price, long stock) {
    return createProduct(new JsonObject().put("name", "test product").put("price", price).put("stock", stock)
        .put("grade", grade));
  }

  public Future<Long> createProduct(JsonObject body) {
    return adminToken().compose(token -> client.post("/api/admin/products").bearerTokenAuthentication(token)
            .sendJsonObject(body))
        .map(response -> {
          if (response.statusCode() != 201) {
            throw new IllegalStateException("product not created: " + response.statusCode() + " " + response.bodyAsString());
          }
          return Long.parseLong(response.bodyAsJsonObject().getString("productId"));
        });
  }

  @Override
  public void close() {
    client.close();
    App.await(Future.join(pg.close(), redis.close()));
    app.close();
  }
}
