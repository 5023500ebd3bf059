package avalanche;

import avalanche.auth.JwtTokens;
import avalanche.auth.SessionStore;
import avalanche.infra.Clients;
import avalanche.infra.config.Settings;
import avalanche.infra.embedded.FreePorts;
import avalanche.infra.embedded.Infrastructure;
import avalanche.infra.redis.RedisLink;
import avalanche.stock.StockScripts;
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
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Avalanche for tests: the embedded Redis, PostgreSQL, Kafka and SMTP start once per test
 * JVM (the same mechanism as the jar), and each test class starts its own {@link App} on them on a
 * free port. Tests use fresh products and users, so classes do not see each other's data.
 *
 * <p>A test class declares its server as a JUnit 5 extension, started before its first test and
 * closed after its last: {@code @RegisterExtension static final TestServer server =
 * TestServer.extension(overrides);}. A test that needs one more server in the middle of its run (a
 * second process, say) calls {@link #start(JsonObject)} and closes it itself.
 */
public final class TestServer implements AutoCloseable, BeforeAllCallback, AfterAllCallback {
  public static final String JWT_SECRET = "test-secret-test-secret-test-secret-0123456789";

  /** One personal-data key for every server of the test JVM, since they share one PostgreSQL. */
  public static final String PII_KEY = "dGVzdC1waWkta2V5LXRlc3QtcGlpLWtleS0zMmJ5dGU=";

  public static final String ADMIN_EMAIL = "admin@avalanche.test";
  public static final String ADMIN_PASSWORD = "admin-password-1";
  private static final AtomicLong EMAILS = new AtomicLong();
  private static final AtomicLong CLIENTS = new AtomicLong();
  private static Infrastructure shared;
  private static Vertx side;

  private final JsonObject overrides;
  private App app;
  private WebClient client;
  private Pool pg;
  private Redis redis;
  private StockScripts stock;
  private Redis sideRedis;
  private SessionStore sideSessions;

  private TestServer(JsonObject overrides) {
    this.overrides = overrides;
  }

  /** A server for a test class: started before its first test, closed after its last. */
  public static TestServer extension() {
    return extension(new JsonObject());
  }

  /** As {@link #extension()}, with {@code overrides} merged into the config tree. */
  public static TestServer extension(JsonObject overrides) {
    return new TestServer(overrides);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    open();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  private TestServer open() {
    JsonObject config =
        new JsonObject()
            .put(
                "http",
                new JsonObject()
                    .put("port", FreePorts.pick())
                    .put("host", "127.0.0.1")
                    .put("instances", 2))
            .put("jwt", new JsonObject().put("secret", JWT_SECRET))
            .put("pii", new JsonObject().put("key", PII_KEY))
            .put(
                "admin", new JsonObject().put("email", ADMIN_EMAIL).put("password", ADMIN_PASSWORD))
            .mergeIn(overrides, true);
    app = App.start(Map.of(), config, infrastructure());
    Vertx vertx = app.vertx();
    client =
        WebClient.create(
            vertx,
            new WebClientOptions()
                .setDefaultHost("127.0.0.1")
                .setDefaultPort(app.httpPort())
                .setKeepAlive(true),
            new io.vertx.core.http.PoolOptions().setHttp1MaxSize(200));
    Settings settings = app.settings();
    pg = Clients.pg(vertx, settings.pg());
    redis = Clients.redis(vertx, settings.redis());
    stock = new StockScripts(new RedisLink(redis), settings.drop().reservationTtlMs());
    // Connects now, from this thread, so later calls from any thread share the one connection.
    App.await(stock.load());
    sideRedis = Clients.redis(side(), settings.redis());
    sideSessions =
        new SessionStore(sideRedis, new JwtTokens(side(), settings.jwt()), settings.jwt());
    return this;
  }

  /**
   * A Vert.x of the test JVM's own, so {@link #token} can wait for Redis even when called on an app
   * event loop.
   */
  private static synchronized Vertx side() {
    if (side == null) {
      side = Vertx.vertx();
    }
    return side;
  }

  /** The embedded servers of this test JVM, started on first use and stopped when the JVM exits. */
  public static synchronized Infrastructure infrastructure() {
    if (shared == null) {
      shared = Infrastructure.start(new JsonObject());
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
    }
    return shared;
  }

  /** A server started now, on the shared servers; the caller closes it. */
  public static TestServer start() {
    return start(new JsonObject());
  }

  /** As {@link #start()}, with {@code overrides} merged into the config tree. */
  public static TestServer start(JsonObject overrides) {
    return new TestServer(overrides).open();
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

  /**
   * The stock scripts over a connection of the test's own, as the server's callers run them
   * (reserve, release, confirm, init), for tests that set up or change stock directly.
   */
  public StockScripts stock() {
    return stock;
  }

  /**
   * An access token with a live session in Redis (client id {@code test-<n>}), as a login would
   * issue it. It waits for the session write, one loopback round trip made on a separate Vert.x, so
   * it may be called anywhere, also inside an app callback.
   */
  public String token(long userId, String... roles) {
    List<String> granted = roles.length == 0 ? List.of("USER") : List.of(roles);
    return App.await(
            sideSessions.openMany(List.of(userId), granted, "test-" + CLIENTS.incrementAndGet()))
        .get(0)
        .getString("accessToken");
  }

  public Future<String> adminToken() {
    return pg.preparedQuery("SELECT id FROM users WHERE email = $1")
        .execute(Tuple.of(ADMIN_EMAIL))
        .map(rows -> token(rows.iterator().next().getLong("id"), "USER", "ADMIN"));
  }

  /**
   * Inserts verified users with {@code points} each, straight into PostgreSQL; returns their ids.
   */
  public Future<List<Long>> createUsers(int count, long points) {
    String prefix = "user-" + UUID.randomUUID() + "-";
    JsonArray emails = new JsonArray();
    for (int i = 0; i < count; i++) {
      emails.add(prefix + EMAILS.incrementAndGet() + "@avalanche.test");
    }
    return pg.preparedQuery(
            """
            INSERT INTO users (email, password_hash, status, points, verified_at)
            SELECT e, 'not-a-login-user', 'ACTIVE', $2, now() FROM unnest($1::text[]) AS e
            RETURNING id""")
        .execute(Tuple.of(emails.stream().map(String::valueOf).toArray(String[]::new), points))
        .map(
            rows -> {
              List<Long> ids = new java.util.ArrayList<>();
              rows.forEach(row -> ids.add(row.getLong("id")));
              return ids;
            });
  }

  /** Creates a product through the admin API; returns its id. */
  public Future<Long> createProduct(String grade, long price, long stock) {
    return createProduct(
        new JsonObject()
            .put("name", "test product")
            .put("price", price)
            .put("stock", stock)
            .put("grade", grade));
  }

  public Future<Long> createProduct(JsonObject body) {
    return adminToken()
        .compose(
            token ->
                client
                    .post("/api/admin/products")
                    .bearerTokenAuthentication(token)
                    .sendJsonObject(body))
        .map(
            response -> {
              if (response.statusCode() != 201) {
                throw new IllegalStateException(
                    "product not created: "
                        + response.statusCode()
                        + " "
                        + response.bodyAsString());
              }
              return Long.parseLong(response.bodyAsJsonObject().getString("productId"));
            });
  }

  @Override
  public void close() {
    if (app == null) {
      return; // never started: its start failed, and that failure is what the test reports
    }
    client.close();
    App.await(Future.join(pg.close(), stock.close(), sideRedis.close()));
    App.await(redis.close());
    app.close();
  }
}
