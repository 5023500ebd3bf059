package avalanche.stock;

import avalanche.infra.Clients;
import avalanche.infra.SkippedRows;
import avalanche.infra.config.Settings;
import avalanche.infra.redis.LuaScript;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds live stock from PostgreSQL after Redis lost it (restart with an empty dataset). For
 * every product whose Redis hash is missing: sold = COMPLETED orders, reserved = PENDING orders,
 * available = the rest; the buyers of live and completed orders (one attempt per user still holds)
 * and the PENDING orders' hashes and deadlines (so the saga can still confirm or release them).
 * Lost draws and cancelled attempts are not in PostgreSQL, so {@code attempts} and {@code won}
 * restart at the number of order rows and the other statistics at 0. A rebuilt product is on hold
 * ({@link StockKeys#HOLD}) until {@link StockRestore} has given the orders still in Kafka their
 * units. Runs at start and then periodically ({@code StockRepairVerticle}), so a product whose
 * Redis hash went missing while the processes ran (or was never written: created in PostgreSQL,
 * then Redis failed) is repaired too. Idempotent: products whose hash exists are left alone. A row
 * that cannot be loaded (a date beyond epoch milliseconds, stored around the API's checks) is
 * skipped, logged and counted ({@link SkippedRows}); every other product is still rebuilt.
 */
public final class StockRebuild {
  private static final Logger LOG = LoggerFactory.getLogger(StockRebuild.class);
  private static final LuaScript SCRIPT = LuaScript.load("rebuild_product");

  private final Pool pg;
  private final Redis redis;
  private final int pageSize;
  private final long reservationTtlMs;
  private final SkippedRows skipped;

  public StockRebuild(
      Pool pg, Redis redis, int pageSize, long reservationTtlMs, SkippedRows skipped) {
    this.pg = pg;
    this.redis = redis;
    this.pageSize = pageSize;
    this.reservationTtlMs = reservationTtlMs;
    this.skipped = skipped;
  }

  /** The start-up step: own clients, one pass, clients closed. */
  public static Future<Integer> atStart(Vertx vertx, Settings settings) {
    Pool pg = Clients.pg(vertx, settings.pg());
    Redis redis = Clients.redis(vertx, settings.redis());
    SkippedRows skipped = SkippedRows.of(settings, "stock rebuild", "products");
    return new StockRebuild(
            pg,
            redis,
            settings.stock().rebuildPageSize(),
            settings.drop().reservationTtlMs(),
            skipped)
        .run()
        .eventually(() -> Future.join(pg.close(), redis.close()));
  }

  /** Walks every product of PostgreSQL; answers how many product hashes were recreated. */
  public Future<Integer> run() {
    return page(0, 0)
        .onSuccess(
            rebuilt -> {
              if (rebuilt > 0) {
                LOG.info("rebuilt the live stock of {} product(s) from PostgreSQL", rebuilt);
              }
            });
  }

  /** A products row as the live hash and the index take it; {@code room}: behind a waiting room. */
  private record Product(long id, long createdAt, long total, List<String> fields, boolean room) {}

  /** The keys and arguments of one rebuild_product call. */
  private record Call(List<String> keys, List<String> args) {}

  private Future<Integer> page(long afterId, int rebuilt) {
    return pg.preparedQuery(
            """
            SELECT id, name, price, grade, win_probability, drop_at, total, created_at,
                   room_admit_per_second, room_opens_seconds_before
            FROM products WHERE id > $1 ORDER BY id LIMIT $2""")
        .execute(Tuple.of(afterId, pageSize))
        .compose(
            rows -> {
              List<Product> products = new ArrayList<>();
              long lastId = afterId;
              for (Row row : rows) {
                lastId = row.getLong("id");
                try {
                  products.add(product(row));
                } catch (RuntimeException unreadable) {
                  skipped.skip(lastId, unreadable);
                }
              }
              long next = lastId;
              return rebuildMissing(products)
                  .compose(count -> index(products).map(v -> rebuilt + count))
                  .compose(
                      total ->
                          rows.size() < pageSize
                              ? Future.succeededFuture(total)
                              : page(next, total));
            });
  }

  /**
   * Throws for a row Redis cannot be given, such as a date PostgreSQL keeps as 'infinity' (beyond
   * epoch milliseconds).
   */
  private static Product product(Row row) {
    long total = row.getInteger("total");
    long dropAt = millis(row.getOffsetDateTime("drop_at"));
    List<String> fields =
        new ArrayList<>(
            List.of(
                "name", row.getString("name"),
                "price", Long.toString(row.getLong("price")),
                "grade", row.getString("grade"),
                "winP", Double.toString(row.getDouble("win_probability")),
                "dropAt", Long.toString(dropAt),
                "total", Long.toString(total)));
    // The waiting room's settings (the line itself is gone with Redis: shoppers join again).
    Integer admitPerSecond = row.getInteger("room_admit_per_second");
    if (admitPerSecond != null) {
      fields.addAll(
          List.of(
              "room",
              admitPerSecond.toString(),
              "roomOpens",
              row.getInteger("room_opens_seconds_before").toString()));
    }
    return new Product(
        row.getLong("id"),
        millis(row.getOffsetDateTime("created_at")),
        total,
        fields,
        admitPerSecond != null);
  }

  private static long millis(OffsetDateTime time) {
    return time.toInstant().toEpochMilli();
  }

  private Future<Integer> rebuildMissing(List<Product> products) {
    if (products.isEmpty()) {
      return Future.succeededFuture(0);
    }
    List<Request> exists = new ArrayList<>();
    for (Product product : products) {
      exists.add(Request.cmd(Command.EXISTS).arg(StockKeys.product(product.id())));
    }
    return redis
        .batch(exists)
        .compose(
            answers -> {
              Future<Integer> chain = Future.succeededFuture(0);
              for (int i = 0; i < products.size(); i++) {
                if (answers.get(i).toInteger() == 0) {
                  Product product = products.get(i);
                  // One product at a time: memory holds one product's orders, and startup is not a
                  // hot path.
                  chain =
                      chain.compose(
                          count -> rebuild(product).map(created -> created ? count + 1 : count));
                }
              }
              return chain;
            });
  }

  /**
   * Indexes every product (NX: an existing entry keeps its score), repairing an index that lost
   * entries.
   */
  private Future<Void> index(List<Product> products) {
    if (products.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Request> adds = new ArrayList<>();
    for (Product product : products) {
      adds.add(
          Request.cmd(Command.ZADD)
              .arg(StockKeys.PRODUCT_INDEX)
              .arg("NX")
              .arg(product.createdAt())
              .arg(product.id()));
      if (product.room()) {
        adds.add(
            Request.cmd(Command.ZADD)
                .arg(StockKeys.ROOM_INDEX)
                .arg("NX")
                .arg(product.createdAt())
                .arg(product.id()));
      }
    }
    return redis.batch(adds).mapEmpty();
  }

  private Future<Boolean> rebuild(Product product) {
    Future<RowSet<Row>> live =
        pg.preparedQuery(
                """
            SELECT id, user_id, price, status, created_at FROM orders
            WHERE product_id = $1 AND status IN ('PENDING', 'COMPLETED') ORDER BY id""")
            .execute(Tuple.of(product.id()));
    Future<Long> orderRows =
        pg.preparedQuery("SELECT count(*) FROM orders WHERE product_id = $1")
            .execute(Tuple.of(product.id()))
            .map(rows -> rows.iterator().next().getLong(0));
    return Future.all(live, orderRows)
        .compose(
            both -> {
              Call call;
              try {
                call = call(product, live.result(), orderRows.result());
              } catch (RuntimeException unreadable) {
                // One of its orders cannot be given to Redis: the product stays out, as a bad
                // products row would.
                skipped.skip(product.id(), unreadable);
                return Future.succeededFuture(false);
              }
              return SCRIPT
                  .run(redis::send, call.keys(), call.args())
                  .map(Response::toInteger)
                  .map(created -> created == 1);
            });
  }

  private Call call(Product product, RowSet<Row> live, long won) {
    long productId = product.id();
    List<String> keys =
        new ArrayList<>(
            List.of(
                StockKeys.product(productId),
                StockKeys.buyers(productId),
                StockKeys.deadlines(productId)));
    List<String> buyers = new ArrayList<>();
    List<String> pending = new ArrayList<>();
    long sold = 0;
    long reserved = 0;
    for (Row order : live) {
      String orderId = order.getString("id");
      String userId = Long.toString(order.getLong("user_id"));
      buyers.add(userId);
      buyers.add(orderId);
      if ("COMPLETED".equals(order.getString("status"))) {
        sold++;
      } else {
        reserved++;
        long createdAt = millis(order.getOffsetDateTime("created_at"));
        keys.add(StockKeys.order(productId, orderId));
        pending.addAll(
            List.of(
                orderId,
                userId,
                Long.toString(order.getLong("price")),
                Long.toString(createdAt),
                Long.toString(createdAt + reservationTtlMs)));
      }
    }
    List<String> args = new ArrayList<>();
    args.add(Integer.toString(buyers.size() / 2));
    args.addAll(buyers);
    args.addAll(pending);
    args.addAll(product.fields());
    args.addAll(
        List.of(
            "available",
            Long.toString(product.total() - sold - reserved),
            "reserved",
            Long.toString(reserved),
            "sold",
            Long.toString(sold),
            "attempts",
            Long.toString(won),
            "won",
            Long.toString(won),
            StockKeys.HOLD,
            "1"));
    return new Call(keys, args);
  }
}
