package avalanche.stock;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Test helpers for the stock operations: reading live Redis state, reserving, recording orders,
 * polling.
 */
public final class StockProbe {
  private StockProbe() {}

  /** A Redis hash as field → text; empty when the key is absent. */
  public static Future<JsonObject> hash(Redis redis, String key) {
    return redis.send(Request.cmd(Command.HGETALL).arg(key)).map(StockProbe::toJson);
  }

  static JsonObject toJson(Response hash) {
    JsonObject out = new JsonObject();
    if (hash != null) {
      for (String field : hash.getKeys()) {
        out.put(field, hash.get(field).toString());
      }
    }
    return out;
  }

  /** The product's counters as numbers: total, available, reserved, sold. */
  static Future<JsonObject> counters(Redis redis, long productId) {
    return hash(redis, StockKeys.product(productId))
        .map(
            h ->
                new JsonObject()
                    .put("total", Long.parseLong(h.getString("total", "-1")))
                    .put("available", Long.parseLong(h.getString("available", "-1")))
                    .put("reserved", Long.parseLong(h.getString("reserved", "-1")))
                    .put("sold", Long.parseLong(h.getString("sold", "-1"))));
  }

  static boolean balanced(JsonObject c) {
    return c.getLong("total") == c.getLong("available") + c.getLong("reserved") + c.getLong("sold");
  }

  /**
   * One attempt at a product of one bucket through the stock scripts, as the purchase route makes
   * it (no waiting room; a draw of 0 always wins).
   */
  public static Future<Reservation> attempt(
      StockScripts stock,
      long productId,
      long userId,
      String orderId,
      double draw,
      String address) {
    return stock.reserve(
        StockKeys.tag(productId), productId, userId, orderId, draw, address, null, false);
  }

  /** One winning reservation, as above, shipped to a test address; the outcome's name. */
  static Future<String> reserve(StockScripts stock, long productId, long userId, String orderId) {
    return attempt(stock, productId, userId, orderId, 0.0, "1 Test Street")
        .map(reservation -> reservation.outcome().name());
  }

  /** Rows as the saga would store them: {orderId, userId, status}. */
  static Future<Void> insertOrders(Pool pg, long productId, List<Object[]> orders) {
    List<Tuple> rows = new ArrayList<>();
    for (Object[] order : orders) {
      rows.add(Tuple.of(order[0], order[1], productId, 100L, order[2]));
    }
    return pg.preparedQuery(
            """
            INSERT INTO orders (id, user_id, product_id, price, status, created_at)
            VALUES ($1, $2, $3, $4, $5, now())""")
        .executeBatch(rows)
        .mapEmpty();
  }
}
