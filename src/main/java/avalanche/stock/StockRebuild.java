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
 *
 * <p>A product split over buckets is rebuilt bucket by bucket: each gets the orders whose ids name
 * it. When every bucket was lost (one Redis lost its data) the available units are split evenly
 * again. When only some were (a Redis Cluster master lost its data with no replica to take over),
 * those come back with their orders but no unit on sale: how many units the surviving buckets hold
 * and lend cannot be read at one instant across masters, and selling a unit twice is worse than
 * leaving some unsold; a WARN names the product.
 */
public final class StockRebuild {
  private static final Logger LOG = LoggerFactory.getLogger(StockRebuild.class);
  private static final LuaScript SCRIPT = LuaScript.load("rebuild_product");

  private final Pool pg;
  private final Redis redis;
  private final int pageSize;
  private final long reservationTtlMs;
  private final SkippedRows skipped;
  private final long minAgeMs;

  public StockRebuild(
      Pool pg, Redis redis, int pageSize, long reservationTtlMs, SkippedRows skipped) {
    this(pg, redis, pageSize, reservationTtlMs, skipped, 0);
  }

  /**
   * {@code minAgeMs}: products split over buckets created less long ago are left alone. The
   * periodic repair runs while products are being created: one committed to PostgreSQL a moment ago
   * may not have all its buckets in Redis yet, and "rebuilding" the missing ones would put them on
   * sale empty. (A product in one bucket rebuilt that way is whole, and only waits for the
   * restore.)
   */
  public StockRebuild(
      Pool pg,
      Redis redis,
      int pageSize,
      long reservationTtlMs,
      SkippedRows skipped,
      long minAgeMs) {
    this.minAgeMs = minAgeMs;
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

  /**
   * A products row as the live hash and the index take it; {@code fields}: the catalogue fields
   * every bucket carries; {@code room}: behind a waiting room.
   */
  private record Product(
      long id, long createdAt, long total, List<String> fields, boolean room, Buckets buckets) {}

  /** The keys and arguments of one rebuild_product call. */
  private record Call(List<String> keys, List<String> args) {}

  private Future<Integer> page(long afterId, int rebuilt) {
    return pg.preparedQuery(
            """
            SELECT id, name, price, grade, win_probability, drop_at, total, created_at,
                   room_admit_per_second, room_opens_seconds_before, bucket_salts
            FROM products
            WHERE id > $1
              AND (cardinality(bucket_salts) = 0 OR created_at <= now() - $3 * interval '1 millisecond')
            ORDER BY id LIMIT $2""")
        .execute(Tuple.of(afterId, pageSize, minAgeMs))
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
                "dropAt", Long.toString(dropAt)));
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
    List<Integer> salts = new ArrayList<>(List.of(0));
    salts.addAll(List.of(row.getArrayOfIntegers("bucket_salts")));
    return new Product(
        row.getLong("id"),
        millis(row.getOffsetDateTime("created_at")),
        total,
        fields,
        admitPerSecond != null,
        new Buckets(row.getLong("id"), salts));
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
      for (String tag : product.buckets().tags()) {
        exists.add(Request.cmd(Command.EXISTS).arg(StockKeys.bucket(tag)));
      }
    }
    return redis
        .batch(exists)
        .compose(
            answers -> {
              Future<Integer> chain = Future.succeededFuture(0);
              int next = 0;
              for (Product product : products) {
                List<Integer> missing = new ArrayList<>();
                for (int b = 0; b < product.buckets().count(); b++) {
                  if (answers.get(next++).toInteger() == 0) {
                    missing.add(b);
                  }
                }
                if (!missing.isEmpty()) {
                  // One product at a time: memory holds one product's orders, and startup is not a
                  // hot path.
                  chain =
                      chain.compose(
                          count ->
                              rebuild(product, missing)
                                  .map(created -> created ? count + 1 : count));
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
      Request tags = Request.cmd(Command.ZADD).arg(StockKeys.BUCKET_INDEX).arg("NX");
      product.buckets().tags().forEach(tag -> tags.arg(product.createdAt()).arg(tag));
      adds.add(tags);
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

  /** Rebuilds the {@code missing} buckets of a product; true if any was recreated. */
  private Future<Boolean> rebuild(Product product, List<Integer> missing) {
    return pg.preparedQuery(
            "SELECT id, user_id, price, status, created_at FROM orders WHERE product_id = $1 ORDER BY id")
        .execute(Tuple.of(product.id()))
        .compose(
            rows -> {
              List<Call> calls;
              try {
                calls = calls(product, missing, rows);
              } catch (RuntimeException unreadable) {
                // One of its orders cannot be given to Redis: the product stays out, as a bad
                // products row would.
                skipped.skip(product.id(), unreadable);
                return Future.succeededFuture(false);
              }
              List<Future<Integer>> created = new ArrayList<>();
              for (Call call : calls) {
                created.add(
                    SCRIPT.run(redis::send, call.keys(), call.args()).map(Response::toInteger));
              }
              return Future.all(created)
                  .map(done -> created.stream().anyMatch(c -> c.result() == 1));
            });
  }

  /** The orders of one bucket: its order rows, the live (PENDING, COMPLETED) ones among them. */
  private static final class BucketOrders {
    final List<Row> live = new ArrayList<>();
    long rows;
    long sold;
    long reserved;
  }

  private List<Call> calls(Product product, List<Integer> missing, RowSet<Row> rows) {
    Buckets buckets = product.buckets();
    List<String> tags = buckets.tags();
    List<BucketOrders> byBucket = new ArrayList<>();
    tags.forEach(tag -> byBucket.add(new BucketOrders()));
    long sold = 0;
    long reserved = 0;
    for (Row order : rows) {
      int bucket = tags.indexOf(StockKeys.tagOfOrder(order.getString("id")));
      if (bucket < 0) {
        throw new IllegalStateException(
            "order " + order.getString("id") + " names no bucket of product " + product.id());
      }
      BucketOrders of = byBucket.get(bucket);
      of.rows++;
      String status = order.getString("status");
      if ("COMPLETED".equals(status)) {
        of.live.add(order);
        of.sold++;
        sold++;
      } else if ("PENDING".equals(status)) {
        of.live.add(order);
        of.reserved++;
        reserved++;
      }
    }
    boolean all = missing.size() == buckets.count();
    if (!all) {
      LOG.warn(
          "product {}: {} of its {} buckets lost their data and come back with no unit on sale",
          product.id(),
          missing.size(),
          buckets.count());
    }
    long available = product.total() - sold - reserved;
    long epoch = System.currentTimeMillis();
    List<Call> calls = new ArrayList<>();
    for (int b : missing) {
      calls.add(call(product, b, byBucket.get(b), all ? buckets.share(available, b) : 0, epoch));
    }
    return calls;
  }

  private Call call(Product product, int bucket, BucketOrders orders, long available, long epoch) {
    String tag = product.buckets().tag(bucket);
    List<String> keys =
        new ArrayList<>(
            List.of(StockKeys.bucket(tag), StockKeys.buyers(tag), StockKeys.deadlines(tag)));
    List<String> buyers = new ArrayList<>();
    List<String> pending = new ArrayList<>();
    for (Row order : orders.live) {
      String orderId = order.getString("id");
      String userId = Long.toString(order.getLong("user_id"));
      buyers.add(userId);
      buyers.add(orderId);
      if (!"COMPLETED".equals(order.getString("status"))) {
        long createdAt = millis(order.getOffsetDateTime("created_at"));
        keys.add(StockKeys.order(orderId));
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
    if (bucket == 0) {
      args.addAll(List.of("total", Long.toString(product.total())));
      if (product.buckets().split()) {
        args.addAll(List.of(Buckets.SALTS_FIELD, product.buckets().otherSalts()));
      }
    }
    args.addAll(
        List.of(
            "available",
            Long.toString(available),
            "reserved",
            Long.toString(orders.reserved),
            "sold",
            Long.toString(orders.sold),
            "attempts",
            Long.toString(orders.rows),
            "won",
            Long.toString(orders.rows),
            Buckets.EPOCH_FIELD,
            Long.toString(epoch),
            StockKeys.HOLD,
            "1"));
    return new Call(keys, args);
  }
}
