package avalanche.stock;

import avalanche.infra.redis.LuaScript;
import avalanche.infra.redis.RedisLink;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The stock Lua scripts, run over one {@link RedisLink} (one pipelined connection, used from one
 * event loop). Every reservation, release and confirmation is one atomic script: no locks, Redis
 * runs each script alone.
 */
public final class StockScripts {
  private static final LuaScript RESERVE = LuaScript.load("reserve");
  private static final LuaScript RELEASE = LuaScript.load("release");

  /**
   * Sells a reserved unit; also run pipelined, many at once, by the saga ({@code
   * saga/StockConfirmer}).
   */
  public static final LuaScript CONFIRM = LuaScript.load("confirm");

  private static final LuaScript INIT_PRODUCT = LuaScript.load("init_product");
  private static final LuaScript LEND = LuaScript.load("bucket_lend");
  private static final LuaScript RECEIVE = LuaScript.load("bucket_receive");
  private static final LuaScript SETTLE = LuaScript.load("bucket_settle");
  private static final LuaScript ADD_COUNTS = LuaScript.load("add_counts");

  /** The saga's CHECK_STOCK (see check_stock.lua), run pipelined by the stock participant. */
  public static final LuaScript CHECK_STOCK = LuaScript.load("check_stock");

  /**
   * The draw goes to reserve.lua as an integer out of this: cheaper to format than a double, on the
   * hottest path there is, and exact to a billionth.
   */
  private static final double DRAW_SCALE = 1e9;

  private final RedisLink redis;
  private final long reservationTtlMs;
  private int waitReplicas;
  private long waitTimeoutMs;
  private Runnable waitedShort = () -> {};

  public StockScripts(RedisLink redis, long reservationTtlMs) {
    this.redis = redis;
    this.reservationTtlMs = reservationTtlMs;
  }

  /**
   * After a win, {@code WAIT replicas timeoutMs} before answering: the order is then on that many
   * replicas too (when they acknowledge in time; otherwise it is on the primary, as without the
   * wait, and {@code waitedShort} runs). Off with 0 replicas. WAIT holds this connection's later
   * commands until it returns, so it costs throughput.
   */
  public StockScripts waitForReplicas(int replicas, long timeoutMs, Runnable waitedShort) {
    this.waitReplicas = replicas;
    this.waitTimeoutMs = timeoutMs;
    this.waitedShort = waitedShort;
    return this;
  }

  /** A plain command over the same connection (reads of the product's buckets). */
  public Future<Response> send(Request request) {
    return redis.send(request);
  }

  /** Loads every script, so the first calls need no NOSCRIPT round trip. */
  public Future<Void> load() {
    List<Future<Response>> loads = new ArrayList<>();
    for (LuaScript script :
        List.of(RESERVE, RELEASE, CONFIRM, INIT_PRODUCT, ADD_COUNTS, LEND, RECEIVE, SETTLE)) {
      loads.add(redis.send(script.loadRequest()));
    }
    return Future.all(loads).mapEmpty();
  }

  /**
   * One attempt (reserve.lua) in one bucket of a product ({@code tag}; an unbucketed product's is
   * {@link StockKeys#tag(long)}). A win also puts the order in the bucket's outbox, in the same
   * script: once this answers RESERVED the order is as durable as Redis, and the relay takes it to
   * Kafka. {@code admission}: the ticket of a checked admission ({@code
   * waitingroom/AdmissionTokens}), or null: a product behind a waiting room answers NOT_ADMITTED
   * without one, and marks it used in the same round trip. {@code probe}: the product has other
   * buckets, so an empty one answers EMPTY instead of SOLD_OUT (see {@link BucketedAttempt}).
   */
  public Future<Reservation> reserve(
      String tag,
      long productId,
      long userId,
      String orderId,
      double draw,
      String address,
      String admission,
      boolean probe) {
    long now = System.currentTimeMillis();
    return RESERVE
        .run(
            redis::send,
            List.of(
                StockKeys.bucket(tag),
                StockKeys.buyers(tag),
                StockKeys.deadlines(tag),
                StockKeys.order(orderId),
                StockKeys.outbox(tag),
                StockKeys.admissionsUsed(tag)),
            List.of(
                Long.toString(userId),
                orderId,
                Long.toString(now),
                Long.toString((long) (draw * DRAW_SCALE)),
                Long.toString(now + reservationTtlMs),
                address == null ? "" : address,
                Long.toString(productId),
                admission == null ? "" : admission,
                probe ? "1" : "0"))
        .map(
            r -> {
              Reservation.Outcome outcome = Reservation.Outcome.valueOf(r.get(0).toString());
              long detail = r.size() > 1 ? r.get(1).toLong() : 0;
              return switch (outcome) {
                case SOLD_OUT ->
                    new Reservation(
                        outcome, 0, detail < 0 ? null : Map.of(tag, detail), now, orderId);
                default -> new Reservation(outcome, detail, null, now, orderId);
              };
            })
        .compose(
            reservation ->
                waitReplicas <= 0 || reservation.outcome() != Reservation.Outcome.RESERVED
                    ? Future.succeededFuture(reservation)
                    : redis
                        .send(Request.cmd(Command.WAIT).arg(waitReplicas).arg(waitTimeoutMs))
                        .map(
                            acked -> {
                              if (acked.toInteger() < waitReplicas) {
                                waitedShort.run();
                              }
                              return reservation;
                            }));
  }

  /**
   * Lends units of bucket {@code from} to bucket {@code to} (bucket_lend.lua): {@code units} of
   * them, or half of what {@code from} holds when 0; {@code evenOnHold} for the restore of a
   * rebuilt product. Answers how many were lent (0: it had none).
   */
  public Future<Long> lend(
      String from, String moveId, String to, long toEpoch, long units, boolean evenOnHold) {
    return LEND.run(
            redis::send,
            List.of(StockKeys.bucket(from), StockKeys.lent(from)),
            List.of(
                moveId,
                to,
                Long.toString(toEpoch),
                Long.toString(System.currentTimeMillis()),
                Long.toString(units),
                evenOnHold ? "1" : "0"))
        .map(Response::toLong);
  }

  /** Puts lent units on sale in bucket {@code to} (bucket_receive.lua): OK, DUP or STALE. */
  public Future<String> receive(String to, String moveId, long epoch, long units) {
    return RECEIVE
        .run(
            redis::send,
            List.of(StockKeys.bucket(to), StockKeys.received(to)),
            List.of(
                moveId,
                Long.toString(epoch),
                Long.toString(units),
                Long.toString(System.currentTimeMillis())))
        .map(Response::toString);
  }

  /** The lender forgets a move the receiver answered (bucket_settle.lua). */
  public Future<Void> settle(String from, String moveId, String received) {
    return SETTLE
        .run(
            redis::send,
            List.of(StockKeys.bucket(from), StockKeys.lent(from)),
            List.of(moveId, received))
        .mapEmpty();
  }

  /**
   * {result: RELEASED | NOOP, state?}: puts a still-reserved unit back and gives the attempt back.
   * Fails while the product itself is missing (Redis lost its data, not rebuilt yet), so the caller
   * tries again later.
   */
  public Future<JsonObject> release(String orderId) {
    String tag = StockKeys.tagOfOrder(orderId);
    return RELEASE
        .run(
            redis::send,
            List.of(
                StockKeys.bucket(tag),
                StockKeys.buyers(tag),
                StockKeys.deadlines(tag),
                StockKeys.order(orderId)),
            List.of(orderId))
        .compose(r -> decided(tag, r));
  }

  /**
   * {result: CONFIRMED | NOOP | FAILED, state?}: sells a reserved unit; fails as {@link #release}
   * does.
   */
  public Future<JsonObject> confirm(String orderId) {
    return CONFIRM
        .run(redis::send, confirmKeys(orderId), List.of(orderId))
        .compose(r -> decided(StockKeys.tagOfOrder(orderId), r));
  }

  /** One CHECK_STOCK call (check_stock.lua) for an order, to pipeline with others. */
  public static io.vertx.redis.client.Request checkStock(
      String orderId, long userId, long price, long createdAt, long deadline) {
    String tag = StockKeys.tagOfOrder(orderId);
    return CHECK_STOCK.evalsha(
        List.of(
            StockKeys.bucket(tag),
            StockKeys.buyers(tag),
            StockKeys.deadlines(tag),
            StockKeys.order(orderId)),
        List.of(
            orderId,
            Long.toString(userId),
            Long.toString(price),
            Long.toString(createdAt),
            Long.toString(deadline)));
  }

  /**
   * A script's answer, or a failure when it said RETRY: the product is missing until the repair
   * rebuilds it.
   */
  private static Future<JsonObject> decided(String tag, Response r) {
    if (ProductRestoring.RETRY.equals(r.get(0).toString())) {
      return Future.failedFuture(new ProductRestoring(StockKeys.productOfTag(tag)));
    }
    return Future.succeededFuture(result(r));
  }

  /** The keys confirm.lua takes, in its order (its only argument is the order id). */
  public static List<String> confirmKeys(String orderId) {
    String tag = StockKeys.tagOfOrder(orderId);
    return List.of(StockKeys.bucket(tag), StockKeys.deadlines(tag), StockKeys.order(orderId));
  }

  /**
   * Creates the live hash of every bucket unless present, and indexes the product and its buckets;
   * true if the first bucket was created. {@code catalogue}: the fields every bucket carries (name,
   * price, grade, winP, dropAt, ...); the first bucket also keeps the product's {@code total} and
   * the other buckets' salts, and each gets its share of the {@code total} units.
   */
  public Future<Boolean> init(Buckets buckets, JsonObject catalogue, long total, long createdAt) {
    List<Future<Response>> created = new ArrayList<>();
    for (int i = 0; i < buckets.count(); i++) {
      JsonObject fields =
          catalogue
              .copy()
              .put("available", buckets.share(total, i))
              .put("reserved", 0)
              .put("sold", 0)
              .put(Buckets.EPOCH_FIELD, createdAt);
      if (i == 0) {
        fields.put("total", total);
        if (buckets.split()) {
          fields.put(Buckets.SALTS_FIELD, buckets.otherSalts());
        }
      }
      List<String> args = new ArrayList<>();
      fields.forEach(
          e -> {
            args.add(e.getKey());
            args.add(String.valueOf(e.getValue()));
          });
      created.add(INIT_PRODUCT.run(redis::send, List.of(StockKeys.bucket(buckets.tag(i))), args));
    }
    Request tags = Request.cmd(Command.ZADD).arg(StockKeys.BUCKET_INDEX).arg("NX");
    buckets.tags().forEach(tag -> tags.arg(createdAt).arg(tag));
    return Future.all(created)
        .compose(done -> redis.send(tags))
        .compose(
            indexed ->
                redis.send(
                    Request.cmd(Command.ZADD)
                        .arg(StockKeys.PRODUCT_INDEX)
                        .arg(createdAt)
                        .arg(buckets.productId())))
        .map(v -> created.get(0).result().toInteger() == 1);
  }

  /**
   * Every user id in the buyers hashes of the product's buckets (won, lost or holding an order).
   */
  public Future<List<String>> buyers(Buckets buckets) {
    List<Future<Response>> reads = new ArrayList<>();
    for (String tag : buckets.tags()) {
      reads.add(redis.send(Request.cmd(Command.HKEYS).arg(StockKeys.buyers(tag))));
    }
    return Future.all(reads)
        .map(
            all -> {
              List<String> ids = new ArrayList<>();
              for (Future<Response> keys : reads) {
                keys.result().forEach(k -> ids.add(k.toString()));
              }
              return ids;
            });
  }

  /**
   * Adds attempts a {@link SoldOutCache} answered to the product's statistics (one atomic script).
   */
  public Future<Void> addCounts(SoldOutCache.Counts counts) {
    return ADD_COUNTS
        .run(
            redis::send,
            List.of(StockKeys.product(counts.productId())),
            List.of(Long.toString(counts.soldOut()), Long.toString(counts.alreadyPurchased())))
        .mapEmpty();
  }

  public Future<Void> close() {
    return redis.close();
  }

  private static JsonObject result(Response r) {
    JsonObject out = new JsonObject().put("result", r.get(0).toString());
    if (r.size() > 1) {
      out.put("state", r.get(1).toString());
    }
    return out;
  }
}
