package avalanche.order;

import avalanche.auth.AuthHandler;
import avalanche.auth.UserContext;
import avalanche.infra.ApiException;
import avalanche.infra.Bodies;
import avalanche.infra.DropMetrics;
import avalanche.infra.RateLimiter;
import avalanche.stock.StockAddresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code POST /api/products/{id}/purchase}: one Lua attempt on the stock verticle, then, for a win, the
 * durable hand-off to Kafka before the 202.
 */
public final class PurchaseRoutes {
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setSendTimeout(5_000);

  private final Vertx vertx;
  private final RateLimiter limiter;
  private final IdempotencyStore idempotency;
  private final OrderHandoff handoff;
  private final DropMetrics metrics;

  public PurchaseRoutes(Vertx vertx, RateLimiter limiter, IdempotencyStore idempotency, OrderHandoff handoff,
                        DropMetrics metrics) {
    this.vertx = vertx;
    this.limiter = limiter;
    this.idempotency = idempotency;
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
    if (!limiter.tryAcquire(Long.toString(user.userId()))) {
      metrics.outcome("RATE_LIMITED");
      throw new ApiException(429, "RATE_LIMITED", "too many purchase attempts; slow down");
    }
    Future<Answer> answer = key == null
        ? attempt(user.userId(), productId, address)
        : idempotency.once(user.userId(), key, productId, () -> attempt(user.userId(), productId, address));
    answer.onSuccess(a -> a.send(ctx)).onFailure(ctx::fail);
  }

  private Future<Answer> attempt(long userId, long productId, String address) {
    String orderId = OrderIds.next(productId);
    JsonObject request = new JsonObject()
        .put("productId", productId).put("userId", Long.toString(userId)).put("orderId", orderId)
        .put("draw", ThreadLocalRandom.current().nextDouble()).put("shippingAddress", address);
    return vertx.eventBus().<JsonObject>request(StockAddresses.RESERVE, request, LOCAL)
        .recover(e -> Future.failedFuture(ApiException.unavailable("stock service unavailable, try again")))
        .compose(reply -> {
          JsonObject result = reply.body();
          String outcome = result.getString("outcome");
          metrics.outcome(outcome);
          return switch (outcome) {
            case "RESERVED" -> handOff(orderId, productId, userId, result, address);
            case "LOST" -> Future.succeededFuture(new Answer(200, new JsonObject().put("outcome", "LOST"), null));
            case "SOLD_OUT" -> Future.succeededFuture(Answer.conflict("SOLD_OUT", "no unit left"));
            case "ALREADY_PURCHASED" -> Future.succeededFuture(
                Answer.conflict("ALREADY_PURCHASED", "you already have an order or a lost draw for this product"));
            case "DROP_NOT_OPEN" -> {
              String opensAt = Instant.ofEpochMilli(result.getLong("opensAt")).toString();
              Answer closed = Answer.conflict("DROP_NOT_OPEN", "the drop opens at " + opensAt);
              closed.body().put("opensAt", opensAt);
              yield Future.succeededFuture(closed);
            }
            case "NOT_FOUND" -> Future.failedFuture(ApiException.notFound("no such product"));
            default -> Future.failedFuture(new IllegalStateException("unknown stock outcome " + outcome));
          };
        });
  }

  private Future<Answer> handOff(String orderId, long productId, long userId, JsonObject reserved, String address) {
    return handoff.publish(orderId, productId, userId, reserved.getLong("price"), address, reserved.getLong("createdAt"))
        .map(sent -> new Answer(202,
            new JsonObject().put("outcome", "RESERVED").put("orderId", orderId).put("status", "PENDING"),
            "/api/orders/" + orderId))
        .recover(failure -> vertx.eventBus()
            // Not durable, so not sold: put the unit back and tell the shopper to retry.
            .request(StockAddresses.RELEASE, new JsonObject().put("productId", productId).put("orderId", orderId), LOCAL)
            .transform(released -> Future.failedFuture(ApiException.unavailable("order could not be recorded, try again"))));
  }
}
