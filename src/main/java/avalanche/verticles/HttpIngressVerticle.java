package avalanche.verticles;

import avalanche.auth.AbuseLimits;
import avalanche.auth.AccountMails;
import avalanche.auth.AccountStore;
import avalanche.auth.AuthHandler;
import avalanche.auth.AuthRoutes;
import avalanche.auth.JwtTokens;
import avalanche.auth.PasswordResetRoutes;
import avalanche.auth.RevocationCache;
import avalanche.auth.SessionCheck;
import avalanche.auth.SessionStore;
import avalanche.auth.SignupRoutes;
import avalanche.infra.Clients;
import avalanche.infra.DropMetrics;
import avalanche.infra.config.DropSettings;
import avalanche.infra.config.HttpSettings;
import avalanche.infra.config.Settings;
import avalanche.infra.http.Http;
import avalanche.infra.http.OpsRoutes;
import avalanche.infra.http.RateLimiter;
import avalanche.infra.redis.RedisLink;
import avalanche.live.LiveRoutes;
import avalanche.order.IdempotencyStore;
import avalanche.order.OrderRoutes;
import avalanche.order.PurchaseRoutes;
import avalanche.pages.PageRoutes;
import avalanche.point.PointRoutes;
import avalanche.product.ProductRoutes;
import avalanche.stock.BucketDirectory;
import avalanche.stock.SoldOutCache;
import avalanche.stock.StockLiveness;
import avalanche.stock.StockScripts;
import avalanche.stock.StockWatch;
import avalanche.user.LoadTestRoutes;
import avalanche.user.PiiCipher;
import avalanche.user.UserRoutes;
import avalanche.waitingroom.AdmissionTokens;
import avalanche.waitingroom.QueueRoutes;
import avalanche.waitingroom.RoomTimes;
import avalanche.waitingroom.WaitingRoom;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;

/** HTTP ingress: the router of the public contract. Runs as N instances, one per event loop. */
public class HttpIngressVerticle extends VerticleBase {
  /** Seconds an idle keep-alive connection stays open. */
  private static final int IDLE_TIMEOUT_S = 75;

  private HttpServer server;
  private Pool pg;
  private Redis redis;
  private KafkaAdminClient kafkaAdmin;
  private RateLimiter limiter;
  private StockScripts stock;
  private RedisLink queueRedis;
  private LiveRoutes live;

  @Override
  public Future<?> start() {
    Settings settings = Settings.from(config());
    HttpSettings http = settings.http();
    pg = Clients.pgForRequests(vertx, settings.pg());
    redis = Clients.redis(vertx, settings.redis());
    kafkaAdmin = KafkaAdminClient.create(vertx, Clients.kafkaAdminConfig(settings.kafka()));
    limiter = new RateLimiter(vertx, http.purchaseAttemptsPerSecond());

    JwtTokens tokens = new JwtTokens(vertx, settings.jwt());
    RevocationCache revocations = RevocationCache.of(vertx);
    SessionStore sessions = new SessionStore(redis, tokens, settings.jwt(), revocations);
    AuthHandler auth = new AuthHandler(tokens, SessionCheck.inRedis(sessions));
    // The purchase hot path keeps its single Redis round trip (the reserve script): sessions are
    // checked
    // against the in-memory revocation cache there.
    AuthHandler purchaseAuth = new AuthHandler(tokens, SessionCheck.cached(revocations, sessions));
    AccountStore accounts = new AccountStore(pg);
    AccountMails mails = new AccountMails(vertx);
    AbuseLimits limits = new AbuseLimits(redis, settings.auth());
    PiiCipher pii = PiiCipher.of(settings);
    Router router = Router.router(vertx);
    long bodyLimit = http.bodyLimitBytes();
    router.route().handler(BodyHandler.create(false).setBodyLimit(bodyLimit));
    new OpsRoutes(redis, pg, kafkaAdmin, settings.metricsRegistry()).mount(router);
    new AuthRoutes(vertx, accounts, sessions, limits).mount(router, auth);
    new SignupRoutes(vertx, accounts, pii, mails, limits, settings).mount(router);
    new PasswordResetRoutes(vertx, accounts, sessions, mails, limits, settings.auth())
        .mount(router);
    new UserRoutes(accounts, pii).mount(router, auth);
    // Each instance runs the purchase scripts over its own pipelined connection: no pool checkout,
    // no hop.
    DropMetrics dropMetrics = DropMetrics.of(settings);
    DropSettings drop = settings.drop();
    stock =
        new StockScripts(new RedisLink(redis), drop.reservationTtlMs())
            .waitForReplicas(drop.waitReplicas(), drop.waitTimeoutMs(), dropMetrics::waitedShort);
    new ProductRoutes(vertx, pg, redis, stock, drop, settings.redis().cluster())
        .mount(router, auth);
    AdmissionTokens admissions = AdmissionTokens.of(settings.jwt());
    PurchaseRoutes purchases =
        new PurchaseRoutes(
            purchaseAuth,
            bodyLimit,
            limiter,
            new IdempotencyStore(redis, drop.idempotencyTtlSeconds()),
            stock,
            BucketDirectory.of(vertx),
            SoldOutCache.of(vertx),
            new StockWatch(vertx, StockLiveness.of(vertx)),
            dropMetrics,
            admissions);
    purchases.mount(router);
    // Polls are checked as purchases are (no session lookup) and cost Redis one script each.
    queueRedis = new RedisLink(redis);
    WaitingRoom waitingRoom =
        new WaitingRoom(queueRedis, admissions, RoomTimes.of(settings.queue()));
    new QueueRoutes(waitingRoom).mount(router, purchaseAuth);
    new OrderRoutes(pg, redis).mount(router, auth);
    new LoadTestRoutes(pg, sessions, pii, settings.loadtestEnabled()).mount(router, auth);
    new PointRoutes(pg).mount(router, auth);
    live = new LiveRoutes(vertx);
    live.mount(router, auth);
    new PageRoutes(vertx).mount(router);
    router.route().failureHandler(Http::failure);
    for (int status : new int[] {400, 404, 405, 413, 500}) {
      router.errorHandler(status, ctx -> Http.unrouted(ctx, status));
    }

    server =
        vertx.createHttpServer(
            new HttpServerOptions()
                .setHost(http.host())
                .setPort(http.port())
                .setTcpNoDelay(true)
                // Longer than the 60 s common clients keep an idle connection (Vert.x's client,
                // Gatling): a server closing at that same moment races a request the client sends
                // on
                // it, and a POST is not resent (nginx waits 75 s for the same reason).
                .setIdleTimeout(IDLE_TIMEOUT_S));
    // What the HTTP decoder refuses never reaches the router; it gets the contract's error JSON all
    // the same.
    server.invalidRequestHandler(Http::invalidRequest);
    // A request line of an HTTP version nobody speaks (HTTP/9.9) gets Vert.x's own empty 501 unless
    // a WebSocket
    // handler is set; with one, it reaches the request handler, which answers the contract's 400.
    // We serve no
    // WebSocket, so every handshake is refused before it is accepted.
    server.webSocketHandshakeHandler(handshake -> handshake.reject(404));
    server.webSocketHandler(ServerWebSocket::close);
    Handler<HttpServerRequest> ahead = purchases.ahead(router);
    return Future.all(stock.load(), waitingRoom.load())
        .compose(
            ready ->
                server
                    .requestHandler(
                        request -> {
                          if (request.version() == null) {
                            Http.unsupportedVersion(request);
                          } else {
                            ahead.handle(request);
                          }
                        })
                    .listen());
  }

  @Override
  public Future<?> stop() {
    // Stop accepting, let in-flight requests finish (live streams never do: they are ended), then
    // release the clients.
    live.close();
    StockLiveness.of(vertx).closing();
    return server
        .shutdown(10, TimeUnit.SECONDS)
        .eventually(
            () -> Future.join(stock.close(), queueRedis.close(), pg.close(), kafkaAdmin.close()))
        .eventually(redis::close)
        .onComplete(done -> limiter.close());
  }
}
