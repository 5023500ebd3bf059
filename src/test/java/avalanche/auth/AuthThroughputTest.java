package avalanche.auth;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import avalanche.infra.Clients;
import avalanche.infra.DropMetrics;
import avalanche.infra.config.Settings;
import avalanche.infra.embedded.FreePorts;
import avalanche.infra.http.Http;
import avalanche.infra.http.RateLimiter;
import avalanche.infra.redis.RedisLink;
import avalanche.order.IdempotencyStore;
import avalanche.order.PurchaseRoutes;
import avalanche.stock.BucketDirectory;
import avalanche.stock.SoldOutCache;
import avalanche.stock.StockLiveness;
import avalanche.stock.StockScripts;
import avalanche.stock.StockWatch;
import avalanche.waitingroom.AdmissionTokens;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Figures for the report, measured on loopback in bounded loops (logged as {@code FIGURE ...}, not
 * asserted: the machine is shared). Logins per second, the time of a wrong password against an
 * unknown email, and purchase attempts per second through the real purchase route with three
 * session checks side by side in one run: none, the revocation cache (production), and an {@code
 * EXISTS} per request.
 */
@Tag("measurement")
@ExtendWith(VertxExtension.class)
class AuthThroughputTest {
  private static final Logger LOG = LoggerFactory.getLogger(AuthThroughputTest.class);
  private static final String PASSWORD = "bench password";
  private static final JsonObject UNLIMITED =
      new JsonObject().put("perEmail", 1_000_000).put("perAddress", 1_000_000);

  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject()
              .put(
                  "auth",
                  new JsonObject().put("limits", new JsonObject().put("login", UNLIMITED))));

  private static Vertx load;

  @BeforeAll
  static void start() {
    load = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    load.close().await();
  }

  @Test
  @Timeout(value = 2, timeUnit = TimeUnit.MINUTES)
  void loginsPerSecondAndTheTimeOfAWrongPasswordAgainstAnUnknownEmail(VertxTestContext test) {
    WebClient client =
        WebClient.create(
            load,
            new WebClientOptions()
                .setDefaultHost("127.0.0.1")
                .setDefaultPort(server.app().httpPort())
                .setLocalAddress("127.0.0.31"),
            new PoolOptions().setHttp1MaxSize(16));
    List<String> emails = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      emails.add(AuthFlows.freshEmail());
    }
    AtomicInteger next = new AtomicInteger();
    PasswordHasher.hash(server.vertx(), PASSWORD)
        .compose(
            hash ->
                server
                    .pg()
                    .preparedQuery(
                        """
                INSERT INTO users (email, password_hash, status, verified_at)
                SELECT e, $2, 'ACTIVE', now() FROM unnest($1::text[]) AS e""")
                    .execute(Tuple.of(emails.toArray(String[]::new), hash)))
        .compose(
            inserted ->
                run(
                    2_000,
                    8,
                    () ->
                        AuthFlows.login(
                            client,
                            emails.get(next.getAndIncrement() % emails.size()),
                            PASSWORD,
                            "bench")))
        .compose(
            warm ->
                run(
                    6_000,
                    8,
                    () ->
                        AuthFlows.login(
                            client,
                            emails.get(next.getAndIncrement() % emails.size()),
                            PASSWORD,
                            "bench")))
        .compose(
            logins -> {
              LOG.info(
                  "FIGURE logins/s (8 in flight, {} cores): {} ({} logins, statuses {})",
                  Runtime.getRuntime().availableProcessors(),
                  String.format("%.1f", logins.perSecond()),
                  logins.count,
                  logins.statuses);
              test.verify(() -> assertThat(logins.statuses.keySet()).containsOnly(200));
              return timeWrongAgainstUnknown(client, emails.get(0), 15);
            })
        .onComplete(
            test.succeeding(
                times -> {
                  LOG.info(
                      "FIGURE login time, median of 15 each: wrong password {} ms, unknown email {} ms",
                      times.get(0),
                      times.get(1));
                  client.close();
                  test.completeNow();
                }));
  }

  @Test
  @Timeout(value = 3, timeUnit = TimeUnit.MINUTES)
  void purchaseAttemptsPerSecondWithAndWithoutTheSessionCheck(VertxTestContext test) {
    Map<String, Integer> ports =
        Map.of("none", FreePorts.pick(), "cache", FreePorts.pick(), "exists", FreePorts.pick());
    JsonObject config =
        server.app().config().copy().put("bench", new JsonObject(new java.util.HashMap<>(ports)));
    WebClient client =
        WebClient.create(
            load,
            new WebClientOptions().setDefaultHost("127.0.0.1").setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(64));
    List<String> variants = List.of("none", "cache", "exists");
    int rounds = 5;
    Map<String, List<Double>> perSecond = new TreeMap<>();
    Map<String, List<Long>> latency = new TreeMap<>();
    server
        .vertx()
        .deployVerticle(
            BenchIngress::new, new DeploymentOptions().setConfig(config).setInstances(2))
        .compose(deployed -> server.createProduct("COMMON", 1, 0))
        .compose(
            productId ->
                server
                    .createUsers(256, 0)
                    .compose(
                        users -> {
                          List<String> tokens = users.stream().map(server::token).toList();
                          AtomicInteger next = new AtomicInteger();
                          Future<Void> chain = Future.succeededFuture();
                          // One warm-up round, then the measured rounds, the three checks taking
                          // turns.
                          for (int i = 0; i < (rounds + 1) * variants.size(); i++) {
                            String variant = variants.get(i % variants.size());
                            boolean warmUp = i < variants.size();
                            chain =
                                chain.compose(
                                    done ->
                                        run(
                                                warmUp ? 1_500 : 2_000,
                                                64,
                                                () ->
                                                    client
                                                        .post(
                                                            ports.get(variant),
                                                            "127.0.0.1",
                                                            "/api/products/"
                                                                + productId
                                                                + "/purchase")
                                                        .bearerTokenAuthentication(
                                                            tokens.get(
                                                                next.getAndIncrement()
                                                                    % tokens.size()))
                                                        .send())
                                            .map(
                                                result -> {
                                                  test.verify(
                                                      () ->
                                                          assertThat(result.statuses.keySet())
                                                              .as(variant)
                                                              .containsOnly(409));
                                                  if (!warmUp) {
                                                    perSecond
                                                        .computeIfAbsent(
                                                            variant, k -> new ArrayList<>())
                                                        .add(result.perSecond());
                                                  }
                                                  return null;
                                                }));
                          }
                          // Then one attempt at a time: the latency an extra round trip adds, less
                          // blurred by CPU contention.
                          for (int i = 0; i < 3 * variants.size(); i++) {
                            String variant = variants.get(i % variants.size());
                            chain =
                                chain.compose(
                                    done ->
                                        sequentialMicros(
                                                300,
                                                () ->
                                                    client
                                                        .post(
                                                            ports.get(variant),
                                                            "127.0.0.1",
                                                            "/api/products/"
                                                                + productId
                                                                + "/purchase")
                                                        .bearerTokenAuthentication(
                                                            tokens.get(
                                                                next.getAndIncrement()
                                                                    % tokens.size()))
                                                        .send())
                                            .map(
                                                median -> {
                                                  latency
                                                      .computeIfAbsent(
                                                          variant, k -> new ArrayList<>())
                                                      .add(median);
                                                  return null;
                                                }));
                          }
                          return chain;
                        }))
        .compose(
            done ->
                server
                    .redis()
                    .send(
                        io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.INFO)
                            .arg("commandstats")))
        .onComplete(
            test.succeeding(
                stats -> {
                  // Redis is single-threaded: its time per command is what the hot path spends of
                  // the shared resource.
                  java.util.regex.Matcher m =
                      java.util.regex.Pattern.compile(
                              "cmdstat_(evalsha|exists):calls=(\\d+),usec=\\d+,usec_per_call=([0-9.]+)")
                          .matcher(stats.toString());
                  while (m.find()) {
                    LOG.info(
                        "FIGURE redis {}: {} calls, {} us per call inside Redis",
                        m.group(1),
                        m.group(2),
                        m.group(3));
                  }
                  perSecond.forEach(
                      (variant, figures) ->
                          LOG.info(
                              "FIGURE purchase attempts/s (64 in flight), session check '{}': rounds {}, median {}",
                              variant,
                              figures.stream().map(f -> String.format("%.0f", f)).toList(),
                              String.format(
                                  "%.0f",
                                  figures.stream().sorted().toList().get(figures.size() / 2))));
                  latency.forEach(
                      (variant, medians) ->
                          LOG.info(
                              "FIGURE purchase latency one at a time, session check '{}': median us per round {}",
                              variant,
                              medians));
                  client.close();
                  test.completeNow();
                }));
  }

  private Future<List<Long>> timeWrongAgainstUnknown(WebClient client, String email, int times) {
    List<Long> wrong = new ArrayList<>();
    List<Long> unknown = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < times; i++) {
      chain =
          chain
              .compose(
                  done ->
                      timed(
                          () -> AuthFlows.login(client, email, "not the password", "bench"), wrong))
              .compose(
                  done ->
                      timed(
                          () ->
                              AuthFlows.login(
                                  client, AuthFlows.freshEmail(), "not the password", "bench"),
                          unknown));
    }
    return chain.map(done -> List.of(median(wrong), median(unknown)));
  }

  private static Future<Void> timed(Supplier<Future<HttpResponse<Buffer>>> call, List<Long> into) {
    long started = System.nanoTime();
    return call.get()
        .map(
            r -> {
              if (r.statusCode() != 401) {
                throw new IllegalStateException("expected 401, got " + r.statusCode());
              }
              into.add((System.nanoTime() - started) / 1_000_000);
              return null;
            });
  }

  /** Median microseconds of {@code times} calls made one after another. */
  private static Future<Long> sequentialMicros(
      int times, Supplier<Future<HttpResponse<Buffer>>> call) {
    List<Long> micros = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < times; i++) {
      chain =
          chain.compose(
              done -> {
                long started = System.nanoTime();
                return call.get()
                    .map(
                        r -> {
                          if (r.statusCode() != 409) {
                            throw new IllegalStateException(
                                "expected 409 SOLD_OUT, got " + r.statusCode());
                          }
                          micros.add((System.nanoTime() - started) / 1_000);
                          return null;
                        });
              });
    }
    return chain.map(done -> median(micros));
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(Long::compare);
    return sorted.get(sorted.size() / 2);
  }

  private record Result(int count, long nanos, Map<Integer, Integer> statuses) {
    double perSecond() {
      return count * 1e9 / nanos;
    }
  }

  /**
   * Keeps {@code inFlight} calls going until {@code millis} have passed; counts answers by status.
   */
  private static Future<Result> run(
      long millis, int inFlight, Supplier<Future<HttpResponse<Buffer>>> call) {
    Promise<Result> done = Promise.promise();
    long started = System.nanoTime();
    long end = started + millis * 1_000_000;
    Map<Integer, Integer> statuses = new java.util.concurrent.ConcurrentHashMap<>();
    AtomicInteger count = new AtomicInteger();
    AtomicInteger running = new AtomicInteger(inFlight);
    for (int i = 0; i < inFlight; i++) {
      load.runOnContext(
          v ->
              loop(
                  call,
                  end,
                  count,
                  statuses,
                  () -> {
                    if (running.decrementAndGet() == 0) {
                      done.complete(new Result(count.get(), System.nanoTime() - started, statuses));
                    }
                  }));
    }
    return done.future();
  }

  private static void loop(
      Supplier<Future<HttpResponse<Buffer>>> call,
      long end,
      AtomicInteger count,
      Map<Integer, Integer> statuses,
      Runnable finished) {
    if (System.nanoTime() >= end) {
      finished.run();
      return;
    }
    call.get()
        .onComplete(
            ar -> {
              count.incrementAndGet();
              statuses.merge(ar.succeeded() ? ar.result().statusCode() : -1, 1, Integer::sum);
              loop(call, end, count, statuses, finished);
            });
  }

  /** The real purchase route mounted three times, one port per session check. */
  public static final class BenchIngress extends VerticleBase {
    private Redis redis;
    private RateLimiter limiter;
    private StockScripts stock;

    @Override
    public Future<?> start() {
      JsonObject config = config();
      Settings settings = Settings.from(config);
      redis = Clients.redis(vertx, settings.redis());
      limiter = new RateLimiter(vertx, 1_000_000);
      JwtTokens tokens = new JwtTokens(vertx, settings.jwt());
      SessionStore sessions =
          new SessionStore(redis, tokens, settings.jwt(), RevocationCache.of(vertx));
      Map<String, SessionCheck> checks =
          Map.of(
              "none", user -> Future.succeededFuture(true),
              "cache", SessionCheck.cached(RevocationCache.of(vertx), sessions),
              "exists", SessionCheck.inRedis(sessions));
      stock = new StockScripts(new RedisLink(redis), settings.drop().reservationTtlMs());
      List<Future<?>> servers = new ArrayList<>();
      servers.add(stock.load());
      checks.forEach(
          (name, check) -> {
            Router router = Router.router(vertx);
            router.route().handler(BodyHandler.create(false));
            PurchaseRoutes purchases =
                new PurchaseRoutes(
                    new AuthHandler(tokens, check),
                    65_536,
                    limiter,
                    new IdempotencyStore(redis, 86_400),
                    stock,
                    BucketDirectory.of(vertx),
                    SoldOutCache.of(vertx),
                    new StockWatch(vertx, StockLiveness.of(vertx)),
                    DropMetrics.of(settings),
                    AdmissionTokens.of(settings.jwt()));
            purchases.mount(router);
            router.route().failureHandler(Http::failure);
            servers.add(
                vertx
                    .createHttpServer()
                    .requestHandler(purchases.ahead(router))
                    .listen(config.getJsonObject("bench").getInteger(name), "127.0.0.1"));
          });
      return Future.all(servers);
    }

    @Override
    public Future<?> stop() {
      limiter.close();
      return stock.close().eventually(redis::close);
    }
  }
}
