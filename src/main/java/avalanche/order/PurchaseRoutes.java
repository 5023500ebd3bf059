package avalanche.order;

import avalanche.auth.AuthHandler;
import avalanche.auth.UserContext;
import avalanche.infra.ApiException;
import avalanche.infra.Bodies;
import avalanche.infra.DropMetrics;
import avalanche.infra.RateLimiter;
import avalanche.stock.Reservation;
import avalanche.stock.Reservation.Outcome;
import avalanche.stock.SoldOutCache;
import avalanche.stock.StockScripts;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code POST /api/products/{id}/purchase}: one reserve.lua call over this ingress instance's own Redis
 * connection (or no call at all while the product is known to be sold out), then, for a win, the durable
 * hand-off to Kafka before the 202.
 */
public final class PurchaseRoutes {
  private static final Answer LOST = new Answer(200, new JsonObject().put("outcome", "LOST"), null);
  private static final Answer SOLD_OUT = Answer.conflict("SOLD_OUT", "no unit left");
  private static final Answer ALREADY_PURCHASED =
      Answer.conflict("ALREADY_PURCHASED", "you already have an order or a lost draw for this product");

  private final RateLimiter limiter;
  private final IdempotencyStore idempotency;
  private final StockScripts stock;
  private final SoldOutCache soldOut;
  private final OrderHandoff handoff;
  private final DropMetrics metrics;

  public PurchaseRoutes(RateLimiter limiter, IdempotencyStore idempotency, StockScripts stock, SoldOutCache soldOut,
                        OrderHandoff handoff, DropMetrics metrics) {
    this.limiter = limiter;
    this.idempotency = idempotency;
    this.stock = stock;
    this.soldOut = soldOut;
    this.handoff = handoff;
    this.metrics = metrics;
  }

  public void mount(Router router, AuthHandler auth) {
    router.post("/api/products/:productId/purchase").handler(auth).handler(this::purchase);
  }

  private void purchase(RoutingContext ctx) {
    metrics.attempt();
    UserContext user = UserContext.of(ctx);
    long productId = Bodies.numericId(ctx.pathParam("productId"), "product");
    String address = Bodies.optionalString(Bodies.object(ctx, true), "shippingAddress", 500);
    String key = IdempotencyStore.validKey(ctx.request().getHeader("Idempotency-Key"));
    if (!limiter.tryAcquire(user.userId())) {
      metrics.rejected();
      throw new ApiException(429, "RATE_LIMITED", "too many purchase attempts; slow down");
    }
    Future<Answer> answer = key == null
        ? attempt(user.userId(), productId, address)
        : idempotency.once(user.userId(), key, productId, () -> attempt(user.userId(), productId, address));
    answer.onSuccess(a -> a.send(ctx)).onFailure(ctx::fail);
  }

  private Future<Answer> attempt(long userId, long productId, String address) {
    long now = System.currentTimeMillis();
    Outcome known = soldOut.answer(productId, userId, now);
    if (known != null) {
      metrics.outcome(known);
      return Future.succeededFuture(known == Outcome.SOLD_OUT ? SOLD_OUT : ALREADY_PURCHASED);
    }
    String orderId = OrderIds.next(productId);
    return stock.reserve(productId, userId, orderId, ThreadLocalRandom.current().nextDouble(), address)
        .recover(e -> Future.failedFuture(ApiException.unavailable("stock service unavailable, try again")))
        .compose(result -> {
          metrics.outcome(result.outcome());
          return switch (result.outcome()) {
            case RESERVED -> handOff(orderId, productId, userId, result, address);
            case LOST -> Future.succeededFuture(LOST);
            case SOLD_OUT -> {
              cacheSoldOut(productId, result.returns(), now);
              yield Future.succeededFuture(SOLD_OUT);
            }
            case ALREADY_PURCHASED -> Future.succeededFuture(ALREADY_PURCHASED);
            case DROP_NOT_OPEN -> {
              String opensAt = Instant.ofEpochMilli(result.opensAt()).toString();
              Answer closed = Answer.conflict("DROP_NOT_OPEN", "the drop opens at " + opensAt);
              closed.body().put("opensAt", opensAt);
              yield Future.succeededFuture(closed);
            }
            case NOT_FOUND -> Future.failedFuture(ApiException.notFound("no such product"));
          };
        });
  }

  /** Reads the buyers once, in the background, so the following attempts are answered from memory. */
  private void cacheSoldOut(long productId, long returns, long now) {
    if (soldOut.shouldArm(productId, returns, now)) {
      stock.buyers(productId).onComplete(buyers -> {
        if (buyers.succeeded()) {
          soldOut.arm(productId, returns, buyers.result(), System.currentTimeMillis());
        } else {
          soldOut.disarm(productId);
        }
      });
    }
  }

  private Future<Answer> handOff(String orderId, long productId, long userId, Reservation reserved, String address) {
    return handoff.publish(orderId, productId, userId, reserved.price(), address, reserved.createdAt())
        .map(sent -> new Answer(202,
            new JsonObject().put("outcome", "RESERVED").put("orderId", orderId).put("status", "PENDING"),
            "/api/orders/" + orderId))
        // Not durable, so not sold: put the unit back and tell the shopper to retry.
        .recover(failure -> stock.release(productId, orderId)
            .transform(released -> Future.failedFuture(ApiException.unavailable("order could not be recorded, try again"))));
  }
}
