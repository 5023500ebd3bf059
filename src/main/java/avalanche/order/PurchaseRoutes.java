package avalanche.order;

import avalanche.auth.AuthHandler;
import avalanche.auth.UserContext;
import avalanche.infra.DropMetrics;
import avalanche.infra.http.ApiException;
import avalanche.infra.http.Bodies;
import avalanche.infra.http.Http;
import avalanche.infra.http.RateLimiter;
import avalanche.stock.BucketDirectory;
import avalanche.stock.BucketedAttempt;
import avalanche.stock.Buckets;
import avalanche.stock.Reservation;
import avalanche.stock.Reservation.Outcome;
import avalanche.stock.SoldOutCache;
import avalanche.stock.StockKeys;
import avalanche.stock.StockScripts;
import avalanche.stock.StockWatch;
import avalanche.waitingroom.AdmissionTokens;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code POST /api/products/{id}/purchase}: one reserve.lua call over this ingress instance's own
 * Redis connection (or no call at all while the product is known to be sold out), and the answer. A
 * win is answered 202 as soon as the script returns: the script wrote the order to the product's
 * outbox together with the reservation, and the relay ({@link OutboxRelay}) takes it on to Kafka.
 * No Kafka call on this path.
 *
 * <p>The drop's hot path is served straight from the HTTP server ({@link #handle}), ahead of the
 * router: no routing context, no body handler, constant answers encoded once. Requests it does not
 * recognise as plain purchases (another method, a path in another spelling, a chunked or too large
 * body, {@code Expect}) go through the router's route for the same path, which runs the same code.
 */
public final class PurchaseRoutes {
  /** The route's name in the HTTP metrics (the router's path template). */
  public static final String ROUTE = "/api/products/:productId/purchase";

  private static final String PREFIX = "/api/products/";
  private static final String SUFFIX = "/purchase";
  private static final Answer LOST = new Answer(200, new JsonObject().put("outcome", "LOST"), null);
  private static final Answer SOLD_OUT = Answer.conflict("SOLD_OUT", "no unit left");
  private static final Answer ALREADY_PURCHASED =
      Answer.conflict(
          "ALREADY_PURCHASED", "you already have an order or a lost draw for this product");

  private final AuthHandler auth;
  private final long bodyLimit;
  private final RateLimiter limiter;
  private final IdempotencyStore idempotency;
  private final StockScripts stock;
  private final BucketDirectory buckets;
  private final BucketedAttempt attempts;
  private final SoldOutCache soldOut;
  private final StockWatch watch;
  private final DropMetrics metrics;
  private final AdmissionTokens admissions;

  public PurchaseRoutes(
      AuthHandler auth,
      long bodyLimit,
      RateLimiter limiter,
      IdempotencyStore idempotency,
      StockScripts stock,
      BucketDirectory buckets,
      SoldOutCache soldOut,
      StockWatch watch,
      DropMetrics metrics,
      AdmissionTokens admissions) {
    this.auth = auth;
    this.bodyLimit = bodyLimit;
    this.limiter = limiter;
    this.idempotency = idempotency;
    this.stock = stock;
    this.buckets = buckets;
    this.attempts = new BucketedAttempt(stock);
    this.soldOut = soldOut;
    this.watch = watch;
    this.metrics = metrics;
    this.admissions = admissions;
  }

  /**
   * The HTTP server's request handler: plain purchases here, everything else to {@code router},
   * where this class's route (see {@link #mount}) takes the other spellings of a purchase.
   */
  public Handler<HttpServerRequest> ahead(Router router) {
    return request -> {
      if (!handle(request)) {
        router.handle(request);
      }
    };
  }

  public void mount(Router router) {
    router
        .post(ROUTE)
        .handler(auth)
        .handler(
            ctx ->
                purchase(
                    ctx.request(),
                    UserContext.of(ctx),
                    ctx.pathParam("productId"),
                    Bodies.raw(ctx)));
  }

  /**
   * Serves {@code request} when it is a plain purchase and says so; otherwise leaves it to the
   * router.
   */
  boolean handle(HttpServerRequest request) {
    if (request.method() != HttpMethod.POST) {
      return false;
    }
    String productId = productId(request.path());
    if (productId == null || !bodyFits(request)) {
      return false;
    }
    request.routed(ROUTE);
    request
        .body()
        .onComplete(
            body -> {
              if (body.failed()) {
                return; // the connection went away while the body was read: nobody to answer
              }
              auth.authenticate(request.getHeader(HttpHeaders.AUTHORIZATION))
                  .onComplete(
                      user -> {
                        if (user.succeeded()) {
                          purchase(request, user.result(), productId, body.result());
                        } else {
                          Http.fail(request, user.cause());
                        }
                      });
            });
    return true;
  }

  /**
   * The digits between the prefix and the suffix of a path spelled exactly as the contract's, else
   * null.
   */
  static String productId(String path) {
    if (path == null
        || !path.startsWith(PREFIX)
        || !path.endsWith(SUFFIX)
        || path.length() <= PREFIX.length() + SUFFIX.length()) {
      return null;
    }
    for (int i = PREFIX.length(); i < path.length() - SUFFIX.length(); i++) {
      char c = path.charAt(i);
      if (c < '0' || c > '9') {
        return null;
      }
    }
    return path.substring(PREFIX.length(), path.length() - SUFFIX.length());
  }

  /**
   * A body of a declared length within the limit, or none at all. Chunked bodies and {@code Expect:
   * 100-continue} take the router's path, whose body handler enforces the limit as the bytes come.
   */
  private boolean bodyFits(HttpServerRequest request) {
    if (request.getHeader(HttpHeaders.EXPECT) != null) {
      return false;
    }
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length == null) {
      return request.getHeader(HttpHeaders.TRANSFER_ENCODING) == null;
    }
    try {
      long n = Long.parseLong(length);
      return n >= 0 && n <= bodyLimit;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private void purchase(
      HttpServerRequest request, UserContext user, String rawProductId, Buffer body) {
    long started = System.nanoTime();
    Future<Answer> answer;
    try {
      metrics.attempt();
      long productId = Bodies.numericId(rawProductId, "product");
      // A waiting room's admission, checked before anything else (signature, user, product, time;
      // no I/O).
      String admission =
          admissions.check(
              request.getHeader(AdmissionTokens.HEADER),
              user.userId(),
              productId,
              System.currentTimeMillis());
      String address = Bodies.optionalString(Bodies.object(body, true), "shippingAddress", 500);
      String key = IdempotencyStore.validKey(request.getHeader("Idempotency-Key"));
      if (!limiter.tryAcquire(user.userId())) {
        metrics.rejected(productId);
        throw new ApiException(429, "RATE_LIMITED", "too many purchase attempts; slow down");
      }
      answer =
          key == null
              ? attempt(user.userId(), productId, address, admission)
              : idempotency.once(
                  user.userId(),
                  key,
                  productId,
                  () -> attempt(user.userId(), productId, address, admission));
    } catch (RuntimeException e) {
      answer = Future.failedFuture(e);
    }
    answer.onComplete(
        decided -> {
          metrics.answered(System.nanoTime() - started);
          if (decided.succeeded()) {
            decided.result().send(request.response());
          } else {
            Http.fail(request, decided.cause());
          }
        });
  }

  private Future<Answer> attempt(long userId, long productId, String address, String admission) {
    long now = System.currentTimeMillis();
    Outcome known = soldOut.answer(productId, userId, now);
    if (known != null) {
      metrics.outcome(productId, known);
      return Future.succeededFuture(known == Outcome.SOLD_OUT ? SOLD_OUT : ALREADY_PURCHASED);
    }
    // A product's buckets are known after its first attempt in this process: no extra hop then.
    Buckets cached = buckets.known(productId);
    Future<Reservation> decided =
        cached != null
            ? decide(cached, userId, address, admission)
            : buckets
                .load(stock::send, productId)
                .compose(
                    found ->
                        found == null
                            ? Future.failedFuture(ApiException.notFound("no such product"))
                            : decide(found, userId, address, admission));
    // A slow answer is waited for while Redis answers that slot (the script may well have
    // reserved); a slot gone quiet (a failover, a restart) is answered 503 within 2 s. The script
    // may still run once Redis is back: the shopper's retry is then answered ALREADY_PURCHASED and
    // that order settles like any other.
    String tag =
        cached != null
            ? cached.tag(cached.split() ? cached.home(userId) : 0)
            : StockKeys.tag(productId);
    decided.onSuccess(answered -> watch.answered(tag, System.currentTimeMillis()));
    return watch
        .within(decided, tag)
        .recover(
            e ->
                Future.failedFuture(
                    e instanceof ApiException
                        ? e
                        : ApiException.unavailable("stock service unavailable, try again")))
        .compose(
            result -> {
              metrics.outcome(productId, result.outcome());
              return switch (result.outcome()) {
                case RESERVED -> Future.succeededFuture(Answer.reserved(result.orderId()));
                case LOST -> Future.succeededFuture(LOST);
                case SOLD_OUT -> {
                  if (result.cacheable()) {
                    cacheSoldOut(productId, result.returns(), now);
                  }
                  yield Future.succeededFuture(SOLD_OUT);
                }
                case ALREADY_PURCHASED -> Future.succeededFuture(ALREADY_PURCHASED);
                case DROP_NOT_OPEN -> {
                  String opensAt = Instant.ofEpochMilli(result.opensAt()).toString();
                  yield Future.succeededFuture(
                      new Answer(
                          409,
                          new JsonObject()
                              .put("error", "DROP_NOT_OPEN")
                              .put("message", "the drop opens at " + opensAt)
                              .put("opensAt", opensAt),
                          null));
                }
                case NOT_FOUND -> Future.failedFuture(ApiException.notFound("no such product"));
                case RESTORING ->
                    Future.failedFuture(
                        ApiException.unavailable(
                            "the drop is being restored after a storage failure, try again in a few seconds"));
                case NOT_ADMITTED -> Future.failedFuture(AdmissionTokens.notAdmitted());
                case EMPTY -> throw new IllegalStateException("an EMPTY answer reached the route");
              };
            });
  }

  private Future<Reservation> decide(
      Buckets product, long userId, String address, String admission) {
    return attempts.run(
        product,
        userId,
        OrderIds.next(product.productId(), product.homeSalt(userId)),
        ThreadLocalRandom.current().nextDouble(),
        address,
        admission);
  }

  /**
   * Reads the buyers once, in the background, so the following attempts are answered from memory.
   */
  private void cacheSoldOut(long productId, Map<String, Long> returns, long now) {
    Buckets known = buckets.known(productId);
    if (known != null && soldOut.shouldArm(productId, returns, now)) {
      stock
          .buyers(known)
          .onComplete(
              buyers -> {
                if (buyers.succeeded()) {
                  soldOut.arm(productId, returns, buyers.result(), System.currentTimeMillis());
                } else {
                  soldOut.disarm(productId);
                }
              });
    }
  }
}
