package avalanche.stock;

import avalanche.infra.redis.LuaScript;
import avalanche.order.HandoffBacklog;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles reservations whose deadline passed, so no unit stays reserved forever. The order's
 * PostgreSQL row decides: CANCELLED → release; COMPLETED → confirm; PENDING → the saga's own,
 * shorter timeout settles it, so its deadline is only pushed back to be looked at again later.
 *
 * <p>No row: reserve.lua wrote the order to the product's outbox together with the reservation, so
 * a reservation without a row is an order on its way to the saga — in the outbox (the relay has not
 * had Kafka acknowledge it), or in {@code order.requested} (the coordinator has not stored it yet:
 * a drop can produce orders faster than the saga stores them, and Kafka may be away for minutes).
 * Such an order must keep its unit, so it is pushed back like a PENDING one. It is released only
 * when it can no longer be on its way, checked in this order:
 *
 * <ol>
 *   <li>its outbox entry is gone (outbox_holds.lua; the relay deletes an entry only after Kafka
 *       acknowledged it),
 *   <li>then the {@link HandoffBacklog} is drained: the coordinator group committed the end of
 *       every partition, so it has taken up every record produced before the first check,
 *   <li>then its row is still missing.
 * </ol>
 *
 * Then the saga refused the order (parked on {@code dead.letters}: an unknown user or product), and
 * the unit goes back on sale. Each check is made after the one before, so an order cannot slip from
 * the outbox to Kafka, or from Kafka to a row, between two of them unseen. When Redis or Kafka
 * cannot say, nothing without a row is released. Release and confirm are idempotent scripts, so
 * sweepers in several verticles or processes may race on one order and it still moves once.
 */
public final class ReservationSweep {
  private static final Logger LOG = LoggerFactory.getLogger(ReservationSweep.class);
  private static final LuaScript OUTBOX_HOLDS = LuaScript.load("outbox_holds");

  /**
   * What one pass did; counts only the changes this sweeper made, never a no-op of a racing one.
   */
  public record Result(int released, int confirmed, int postponed, int orphans, int failed) {
    Result plus(Result o) {
      return new Result(
          released + o.released,
          confirmed + o.confirmed,
          postponed + o.postponed,
          orphans + o.orphans,
          failed + o.failed);
    }

    public boolean any() {
      return released + confirmed + postponed + orphans + failed > 0;
    }
  }

  /** An overdue reservation and the bucket (hash tag) holding it. */
  private record Expired(String tag, String orderId) {}

  private static final Result NOTHING = new Result(0, 0, 0, 0, 0);
  private static final Result FAILED = new Result(0, 0, 0, 0, 1);

  private final Pool pg;
  private final Redis redis;
  private final StockScripts stock;
  private final HandoffBacklog backlog;
  private final int pageSize;
  private final int maxPerTick;
  private final long pendingRecheckMs;

  public ReservationSweep(
      Pool pg,
      Redis redis,
      StockScripts stock,
      HandoffBacklog backlog,
      int pageSize,
      int maxPerTick,
      long pendingRecheckMs) {
    this.pg = pg;
    this.redis = redis;
    this.stock = stock;
    this.backlog = backlog;
    this.pageSize = pageSize;
    this.maxPerTick = maxPerTick;
    this.pendingRecheckMs = pendingRecheckMs;
  }

  /**
   * One pass over the bucket index (every bucket of every product), settling at most {@code
   * maxPerTick} expired reservations.
   */
  public Future<Result> run(long now) {
    return page(0, now, maxPerTick, NOTHING);
  }

  private Future<Result> page(long offset, long now, int budget, Result sofar) {
    return redis
        .send(
            Request.cmd(Command.ZRANGE)
                .arg(StockKeys.BUCKET_INDEX)
                .arg(offset)
                .arg(offset + pageSize - 1))
        .compose(
            ids -> {
              if (ids == null || ids.size() == 0) {
                return Future.succeededFuture(sofar);
              }
              List<String> tags = new ArrayList<>();
              for (Response tag : ids) {
                tags.add(tag.toString());
              }
              return expired(tags, now, budget)
                  .compose(
                      due ->
                          settle(due)
                              .compose(
                                  result -> {
                                    int left = budget - due.size();
                                    Result total = sofar.plus(result);
                                    return tags.size() < pageSize || left <= 0
                                        ? Future.succeededFuture(total)
                                        : page(offset + pageSize, now, left, total);
                                  }));
            });
  }

  /** The oldest overdue reservations of a page of buckets, at most {@code budget} per bucket. */
  private Future<List<Expired>> expired(List<String> tags, long now, int budget) {
    List<Request> reads = new ArrayList<>();
    for (String tag : tags) {
      reads.add(
          Request.cmd(Command.ZRANGEBYSCORE)
              .arg(StockKeys.deadlines(tag))
              .arg("-inf")
              .arg(now)
              .arg("LIMIT")
              .arg(0)
              .arg(budget));
    }
    return redis
        .batch(reads)
        .map(
            answers -> {
              List<Expired> due = new ArrayList<>();
              for (int i = 0; i < tags.size() && due.size() < budget; i++) {
                for (Response orderId : answers.get(i)) {
                  if (due.size() < budget) {
                    due.add(new Expired(tags.get(i), orderId.toString()));
                  }
                }
              }
              return due;
            });
  }

  private Future<Result> settle(List<Expired> due) {
    if (due.isEmpty()) {
      return Future.succeededFuture(NOTHING);
    }
    String[] orderIds = due.stream().map(Expired::orderId).toArray(String[]::new);
    // The outbox first, then the backlog, then the rows (see the class comment): an order out of
    // the outbox before
    // a drained backlog has its row by the time the rows are read.
    return inOutbox(due)
        .compose(
            onTheirWay ->
                backlog
                    .drained()
                    .otherwise(false)
                    .compose(
                        drained ->
                            pg.preparedQuery("SELECT id, status FROM orders WHERE id = ANY($1)")
                                .execute(Tuple.of((Object) orderIds))
                                .compose(
                                    rows -> {
                                      Map<String, String> status = new HashMap<>();
                                      rows.forEach(
                                          row ->
                                              status.put(
                                                  row.getString("id"), row.getString("status")));
                                      List<Future<Result>> outcomes = new ArrayList<>();
                                      for (Expired order : due) {
                                        outcomes.add(
                                            switch (status.getOrDefault(order.orderId(), "NONE")) {
                                              case "PENDING" -> postpone(order);
                                              case "COMPLETED" ->
                                                  settled(stock.confirm(order.orderId()), order);
                                              case "NONE" ->
                                                  drained && !onTheirWay.contains(order.orderId())
                                                      ? settled(
                                                          stock.release(order.orderId()), order)
                                                      : postpone(order);
                                              default ->
                                                  settled(stock.release(order.orderId()), order);
                                            });
                                      }
                                      // One order's failure (Redis busy, the product being rebuilt)
                                      // must not hold back the others; it stays
                                      // due and the next pass retries it.
                                      return Future.join(outcomes)
                                          .transform(
                                              done -> {
                                                Result total = NOTHING;
                                                for (Future<Result> outcome : outcomes) {
                                                  total =
                                                      total.plus(
                                                          outcome.succeeded()
                                                              ? outcome.result()
                                                              : FAILED);
                                                }
                                                return Future.succeededFuture(total);
                                              });
                                    })));
  }

  /**
   * The orders among {@code due} still in their product's outbox; all of them when Redis cannot
   * say.
   */
  private Future<Set<String>> inOutbox(List<Expired> due) {
    List<Request> checks = new ArrayList<>(due.size());
    for (Expired order : due) {
      checks.add(
          OUTBOX_HOLDS.evalsha(
              List.of(StockKeys.order(order.orderId()), StockKeys.outbox(order.tag())), List.of()));
    }
    Set<String> all = new HashSet<>();
    due.forEach(order -> all.add(order.orderId()));
    return OUTBOX_HOLDS
        .runAll(redis::batch, redis::send, checks)
        .map(
            answers -> {
              Set<String> held = new HashSet<>();
              for (int i = 0; i < due.size(); i++) {
                if (answers.get(i).toInteger() == 1) {
                  held.add(due.get(i).orderId());
                }
              }
              return held;
            })
        .otherwise(
            failure -> {
              LOG.debug(
                  "could not ask the outbox; no order without a row is released this pass: {}",
                  failure.toString());
              return all;
            });
  }

  /**
   * Counts a release or confirmation ({result, state?}); a deadline left without its order is
   * dropped.
   */
  private Future<Result> settled(Future<JsonObject> script, Expired order) {
    return script.compose(
        reply -> {
          String result = reply.getString("result");
          if ("RELEASED".equals(result)) {
            return Future.succeededFuture(new Result(1, 0, 0, 0, 0));
          }
          if ("CONFIRMED".equals(result)) {
            return Future.succeededFuture(new Result(0, 1, 0, 0, 0));
          }
          if ("NONE".equals(reply.getString("state"))) {
            // A deadline without its order hash holds no unit (reserve writes both at once): drop
            // the entry.
            return redis
                .send(
                    Request.cmd(Command.ZREM)
                        .arg(StockKeys.deadlines(order.tag()))
                        .arg(order.orderId()))
                .map(removed -> removed.toInteger() == 1 ? new Result(0, 0, 0, 1, 0) : NOTHING);
          }
          if ("FAILED".equals(result)) {
            // PostgreSQL says sold but Redis already gave the unit back: nothing to redo here, but
            // worth a look.
            LOG.warn(
                "order {} is COMPLETED in PostgreSQL but its unit is {} in Redis",
                order.orderId(),
                reply.getString("state"));
          }
          // Otherwise settled meanwhile by the saga or another sweeper; their script removed the
          // deadline.
          return Future.succeededFuture(NOTHING);
        });
  }

  /**
   * XX: only while still reserved (a settled order's deadline is gone and must stay gone); GT:
   * never earlier.
   */
  private Future<Result> postpone(Expired order) {
    long recheckAt = System.currentTimeMillis() + pendingRecheckMs;
    return redis
        .send(
            Request.cmd(Command.ZADD)
                .arg(StockKeys.deadlines(order.tag()))
                .arg("XX")
                .arg("GT")
                .arg("CH")
                .arg(recheckAt)
                .arg(order.orderId()))
        .map(changed -> changed.toInteger() == 1 ? new Result(0, 0, 1, 0, 0) : NOTHING);
  }
}
