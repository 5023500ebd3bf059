package avalanche.stock;

import avalanche.infra.Clients;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Rebuilds live stock from PostgreSQL after Redis lost it (restart with an empty dataset). For every product
 * whose Redis hash is missing: sold = COMPLETED orders, reserved = PENDING orders, available = the rest; the
 * buyers of live and completed orders (one attempt per user still holds) and the PENDING orders' hashes and
 * deadlines (so the saga can still confirm or release them). Lost draws and cancelled attempts are not in
 * PostgreSQL, so {@code attempts} and {@code won} restart at the number of order rows and the other
 * statistics at 0. A rebuilt product is on hold ({@link StockKeys#HOLD}) until {@link StockRestore} has given
 * the orders still in Kafka their units. Idempotent: products whose hash exists are left alone. Runs at start
 * and then periodically ({@code StockRepairVerticle}), so a product whose Redis hash went missing while the
 * processes ran (or was never written: created in PostgreSQL, then Redis failed) is repaired too.
 */
public final class StockRebuild {
  private static final Logger LOG = LoggerFactory.getLogger(StockRebuild.class);
  private static final LuaScript SCRIPT = LuaScript.load("rebuild_product");

  private final Pool pg;
  private final Redis redis;
  private final int pageSize;
  private final long reservationTtlMs;

  public StockRebuild(Pool pg, Redis redis, int pageSize, long reservationTtlMs) {
    this.pg = pg;
    this.redis = redis;
    this.pageSize = pageSize;
    this.reservationTtlMs = reservationTtlMs;
  }

  /** The start-up step: own clients, one pass, clients closed. */
  public static Future<Integer> atStart(Vertx vertx, JsonObject config) {
    Pool pg = Clients.pg(vertx, config);
    Redis redis = Clients.redis(vertx, config);
    long ttlMs = StockScripts.reservationTtlMs(config);
    int pageSize = config.getJsonObject("stock", new JsonObject()).getInteger("rebuildPageSize", 500);
    return new StockRebuild(pg, redis, pageSize, ttlMs).run().eventually(() -> Future.join(pg.close(), redis.close()));
  }

  /** Walks every product of PostgreSQL; answers how many product hashes were recreated. */
  public Future<Integer> run() {
    return page(0, 0).onSuccess(rebuilt -> {
      if (rebuilt > 0) {
        LOG.info("rebuilt the live stock of {} product(s) from PostgreSQL", rebuilt);
      }
    });
  }

  private Future<Integer> page(long afterId, int rebuilt) {
    return pg.preparedQuery("""
            SELECT id, name, price, grade, win_probability, drop_at, total, created_at
            FROM products WHERE id > $1 ORDER BY id LIMIT $2""")
        .execute(Tuple.of(afterId, pageSize))
        .compose(rows -> {
          List<Row> products = new ArrayList<>();
          rows.forEach(products::add);
          if (products.isEmpty()) {
            return Future.succeededFuture(rebuilt);
          }
          long lastId = products.get(products.size() - 1).getLong("id");
          return rebuildMissing(products)
              .compose(count -> index(products).map(v -> rebuilt + count))
              .compose(total -> products.size() < pageSize ? Future.succeededFuture(total) : page(lastId, total));
        });
  }

  private Future<Integer> rebuildMissing(List<Row> products) {
    List<Request> exists = new ArrayList<>();
    for (Row product : products) {
      exists.add(Request.cmd(Command.EXISTS).arg(StockKeys.product(product.getLong("id"))));
    }
    return redis.batch(exists).compose(answers -> {
      Future<Integer> chain = Future.succeededFuture(0);
      for (int i = 0; i < products.size(); i++) {
        if (answers.get(i).toInteger() == 0) {
          Row product = products.get(i);
          // One product at a time: memory holds one product's orders, and startup is not a hot path.
          chain = chain.compose(count -> rebuild(product).map(created -> created ? count + 1 : count));
        }
      }
      return chain;
    });
  }

  /** Indexes every product (NX: an existing entry keeps its score), repairing an index that lost entries. */
  private Future<Void> index(List<Row> products) {
    List<Request> adds = new ArrayList<>();
    for (Row product : products) {
      adds.add(Request.cmd(Command.ZADD).arg(StockKeys.PRODUCT_INDEX).arg("NX")
          .arg(product.getOffsetDateTime("created_at").toInstant().toEpochMilli()).arg(product.getLong("id")));
    }
    return redis.batch(adds).mapEmpty();
  }

  private Future<Boolean> rebuild(Row product) {
    long productId = product.getLong("id");
    Future<RowSet<Row>> live = pg.preparedQuery("""
            SELECT id, user_id, price, status, created_at FROM orders
            WHERE product_id = $1 AND status IN ('PENDING', 'COMPLETED') ORDER BY id""")
        .execute(Tuple.of(productId));
    Future<Long> orderRows = pg.preparedQuery("SELECT count(*) FROM orders WHERE product_id = $1")
        .execute(Tuple.of(productId)).map(rows -> rows.iterator().next().getLong(0));
    return Future.all(live, orderRows).compose(both -> {
      List<String> keys = new ArrayList<>(List.of(StockKeys.product(productId), StockKeys.buyers(productId),
          StockKeys.deadlines(productId)));
      List<String> buyers = new ArrayList<>();
      List<String> pending = new ArrayList<>();
      long sold = 0;
      long reserved = 0;
      for (Row order : live.result()) {
        String orderId = order.getString("id");
        String userId = Long.toString(order.getLong("user_id"));
        buyers.add(userId);
        buyers.add(orderId);
        if ("COMPLETED".equals(order.getString("status"))) {
          sold++;
        } else {
          reserved++;
          long createdAt = order.getOffsetDateTime("created_at").toInstant().toEpochMilli();
          keys.add(StockKeys.order(productId, orderId));
          pending.addAll(List.of(orderId, userId, Long.toString(order.getLong("price")), Long.toString(createdAt),
              Long.toString(createdAt + reservationTtlMs)));
        }
      }
      long total = product.getInteger("total");
      long won = orderRows.result();
      List<String> args = new ArrayList<>();
      args.add(Integer.toString(buyers.size() / 2));
      args.addAll(buyers);
      args.addAll(pending);
      args.addAll(List.of(
          "name", product.getString("name"),
          "price", Long.toString(product.getLong("price")),
          "grade", product.getString("grade"),
          "winP", Double.toString(product.getDouble("win_probability")),
          "dropAt", Long.toString(product.getOffsetDateTime("drop_at").toInstant().toEpochMilli()),
          "total", Long.toString(total),
          "available", Long.toString(total - sold - reserved),
          "reserved", Long.toString(reserved),
          "sold", Long.toString(sold),
          "attempts", Long.toString(won),
          "won", Long.toString(won),
          StockKeys.HOLD, "1"));
      return SCRIPT.run(redis::send, keys, args).map(Response::toInteger).map(created -> created == 1);
    });
  }
}
