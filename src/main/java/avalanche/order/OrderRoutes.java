package avalanche.order;

import avalanche.auth.AuthHandler;
import avalanche.auth.UserContext;
import avalanche.infra.http.ApiException;
import avalanche.infra.http.Http;
import avalanche.stock.StockKeys;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

/** {@code GET /api/orders/{id}} and {@code GET /api/orders}: the caller's own orders only. */
public final class OrderRoutes {
  private static final int MAX_PAGE_SIZE = 100;

  private final Pool pg;
  private final Redis redis;

  public OrderRoutes(Pool pg, Redis redis) {
    this.pg = pg;
    this.redis = redis;
  }

  public void mount(Router router, AuthHandler auth) {
    router.get("/api/orders").handler(auth).handler(Http.handle(200, this::page));
    router.get("/api/orders/:orderId").handler(auth).handler(Http.handle(200, this::one));
  }

  private Future<JsonObject> one(RoutingContext ctx) {
    long userId = UserContext.of(ctx).userId();
    String orderId = ctx.pathParam("orderId");
    long productId = OrderIds.productOf(orderId);
    if (productId < 0) {
      throw ApiException.notFound("no such order");
    }
    return pg.preparedQuery("SELECT * FROM orders WHERE id = $1")
        .execute(Tuple.of(orderId))
        .compose(
            rows -> {
              if (rows.iterator().hasNext()) {
                Row row = rows.iterator().next();
                if (row.getLong("user_id") != userId) {
                  throw ApiException.notFound("no such order");
                }
                return Future.succeededFuture(OrderViews.fromRow(row));
              }
              // Not stored by the saga yet: the reservation script wrote it to Redis before the
              // 202.
              return redis
                  .send(Request.cmd(Command.HGETALL).arg(StockKeys.order(orderId)))
                  .map(
                      hash -> {
                        if (hash == null
                            || hash.size() == 0
                            || hash.get("userId").toLong() != userId) {
                          throw ApiException.notFound("no such order");
                        }
                        return OrderViews.fromRedis(orderId, productId, hash);
                      });
            });
  }

  private Future<JsonObject> page(RoutingContext ctx) {
    long userId = UserContext.of(ctx).userId();
    int page = queryInt(ctx, "page", 0, 0, 1_000_000);
    int size = queryInt(ctx, "size", 20, 1, MAX_PAGE_SIZE);
    var total =
        pg.preparedQuery("SELECT count(*) FROM orders WHERE user_id = $1")
            .execute(Tuple.of(userId))
            .map(rows -> rows.iterator().next().getLong(0));
    var items =
        pg.preparedQuery(
                "SELECT * FROM orders WHERE user_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3")
            .execute(Tuple.of(userId, size, (long) page * size))
            .map(
                rows -> {
                  JsonArray list = new JsonArray();
                  rows.forEach(row -> list.add(OrderViews.fromRow(row)));
                  return list;
                });
    return Future.all(total, items)
        .map(
            both ->
                new JsonObject()
                    .put("items", items.result())
                    .put("page", page)
                    .put("size", size)
                    .put("total", total.result()));
  }

  private static int queryInt(RoutingContext ctx, String name, int fallback, int min, int max) {
    String raw = ctx.queryParams().get(name);
    if (raw == null) {
      return fallback;
    }
    try {
      int value = Integer.parseInt(raw);
      if (value < min || value > max) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw ApiException.validation(name + " must be an integer between " + min + " and " + max);
    }
  }
}
