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
  private static final LuaScript ADD_COUNTS = LuaScript.load("add_counts");

  /** The saga's CHECK_STOCK (see check_stock.lua), run pipelined by the stock participant. */
  public static final LuaScript CHECK_STOCK = LuaScript.load("check_stock");

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

  /** Loads every script, so the first calls need no NOSCRIPT round trip. */
  public Future<Void> load() {
    List<Future<Response>> loads = new ArrayList<>();
    for (LuaScript script : List.of(RESERVE, RELEASE, CONFIRM, INIT_PRODUCT, ADD_COUNTS)) {
      loads.add(redis.send(script.loadRequest()));
    }
    return Future.all(loads).mapEmpty();
  }

  /**
   * One attempt (reserve.lua). A win also puts the order in the product's outbox, in the same
   * script: once this answers RESERVED the order is as durable as Redis, and the relay takes it to
   * Kafka.
   */
  public Future<Reservation> reserve(
      long productId, long userId, String orderId, double draw, String address) {
    return reserve(productId, userId, orderId, draw, address, null);
  }

  /**
   * As above, with the ticket of a checked admission ({@code waitingroom/AdmissionTokens}), or
   * null: a product behind a waiting room answers NOT_ADMITTED without one, and marks it used in
   * the same round trip.
   */
  public Future<Reservation> reserve(
      long productId, long userId, String orderId, double draw, String address, String admission) {
    long now = System.currentTimeMillis();
    return RESERVE
        .run(
            redis::send,
            List.of(
                StockKeys.product(productId),
                StockKeys.buyers(productId),
                StockKeys.deadlines(productId),
                StockKeys.order(productId, orderId),
                StockKeys.outbox(productId),
                StockKeys.admissionsUsed(productId)),
            List.of(
                Long.toString(userId),
                orderId,
                Long.toString(now),
                Double.toString(draw),
                Long.toString(now + reservationTtlMs),
                address == null ? "" : address,
                Long.toString(productId),
                admission == null ? "" : admission))
        .map(
            r -> {
              Reservation.Outcome outcome = Reservation.Outcome.valueOf(r.get(0).toString());
              long detail = r.size() > 1 ? r.get(1).toLong() : 0;
              return switch (outcome) {
                case RESERVED -> new Reservation(outcome, detail, 0, 0, now);
                case DROP_NOT_OPEN -> new Reservation(outcome, 0, detail, 0, now);
                case SOLD_OUT -> new Reservation(outcome, 0, 0, detail, now);
                default -> Reservation.decided(outcome, now);
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
   * {result: RELEASED | NOOP, state?}: puts a still-reserved unit back and gives the attempt back.
   * Fails while the product itself is missing (Redis lost its data, not rebuilt yet), so the caller
   * tries again later.
   */
  public Future<JsonObject> release(long productId, String orderId) {
    return RELEASE
        .run(
            redis::send,
            List.of(
                StockKeys.product(productId),
                StockKeys.buyers(productId),
                StockKeys.deadlines(productId),
                StockKeys.order(productId, orderId)),
            List.of(orderId))
        .compose(r -> decided(productId, r));
  }

  /**
   * {result: CONFIRMED | NOOP | FAILED, state?}: sells a reserved unit; fails as {@link #release}
   * does.
   */
  public Future<JsonObject> confirm(long productId, String orderId) {
    return CONFIRM
        .run(redis::send, confirmKeys(productId, orderId), List.of(orderId))
        .compose(r -> decided(productId, r));
  }

  /** One CHECK_STOCK call (check_stock.lua) for an order, to pipeline with others. */
  public static io.vertx.redis.client.Request checkStock(
      long productId, String orderId, long userId, long price, long createdAt, long deadline) {
    return CHECK_STOCK.evalsha(
        List.of(
            StockKeys.product(productId),
            StockKeys.buyers(productId),
            StockKeys.deadlines(productId),
            StockKeys.order(productId, orderId)),
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
  private static Future<JsonObject> decided(long productId, Response r) {
    if (ProductRestoring.RETRY.equals(r.get(0).toString())) {
      return Future.failedFuture(new ProductRestoring(productId));
    }
    return Future.succeededFuture(result(r));
  }

  /** The keys confirm.lua takes, in its order (its only argument is the order id). */
  public static List<String> confirmKeys(long productId, String orderId) {
    return List.of(
        StockKeys.product(productId),
        StockKeys.deadlines(productId),
        StockKeys.order(productId, orderId));
  }

  /**
   * Creates the live hash from {@code fields} unless present, and indexes the product; true if
   * created.
   */
  public Future<Boolean> init(long productId, JsonObject fields, long createdAt) {
    List<String> args = new ArrayList<>();
    fields.forEach(
        e -> {
          args.add(e.getKey());
          args.add(String.valueOf(e.getValue()));
        });
    return INIT_PRODUCT
        .run(redis::send, List.of(StockKeys.product(productId)), args)
        .compose(
            created ->
                redis
                    .send(
                        Request.cmd(Command.ZADD)
                            .arg(StockKeys.PRODUCT_INDEX)
                            .arg(createdAt)
                            .arg(productId))
                    .map(v -> created.toInteger() == 1));
  }

  /** Every user id in the product's buyers hash (won, lost or holding a live order). */
  public Future<List<String>> buyers(long productId) {
    return redis
        .send(Request.cmd(Command.HKEYS).arg(StockKeys.buyers(productId)))
        .map(
            keys -> {
              List<String> ids = new ArrayList<>(keys.size());
              keys.forEach(k -> ids.add(k.toString()));
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
