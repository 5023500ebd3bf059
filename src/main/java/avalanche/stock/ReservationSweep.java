package avalanche.stock;

import avalanche.order.HandoffBacklog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Settles reservations whose deadline passed, so no unit stays reserved forever. The order's PostgreSQL row
 * decides: CANCELLED → release; COMPLETED → confirm; PENDING → the saga's own, shorter timeout settles it, so
 * its deadline is only pushed back to be looked at again later. No row: the order may still wait in the
 * saga's backlog (a drop can hand off orders faster than the saga stores them), so it is released (a crash
 * between reserve and hand-off) only when the {@link HandoffBacklog} was drained before the rows were read,
 * and otherwise pushed back like a PENDING one. Release and confirm are the stock verticle's idempotent scripts, so
 * sweepers in several verticles or processes may race on one order and it still moves once.
 */
public final class ReservationSweep {
  private static final Logger LOG = LoggerFactory.getLogger(ReservationSweep.class);
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setSendTimeout(10_000);

  /** What one pass did; counts only the changes this sweeper made, never a no-op of a racing one. */
  public record Result(int released, int confirmed, int postponed, int orphans, int failed) {
    Result plus(Result o) {
      return new Result(released + o.released, confirmed + o.confirmed, postponed + o.postponed,
          orphans + o.orphans, failed + o.failed);
    }

    public boolean any() {
      return released + confirmed + postponed + orphans + failed > 0;
    }
  }

  private record Expired(long productId, String orderId) {}

  private static final Result NOTHING = new Result(0, 0, 0, 0, 0);
  private static final Result FAILED = new Result(0, 0, 0, 0, 1);

  private final Vertx vertx;
  private final Pool pg;
  private final Redis redis;
  private final HandoffBacklog backlog;
  private final int pageSize;
  private final int maxPerTick;
  private final long pendingRecheckMs;

  public ReservationSweep(Vertx vertx, Pool pg, Redis redis, HandoffBacklog backlog, int pageSize, int maxPerTick,
                          long pendingRecheckMs) {
    this.vertx = vertx;
    this.pg = pg;
    this.redis = redis;
    this.backlog = backlog;
    this.pageSize = pageSize;
    this.maxPerTick = maxPerTick;
    this.pendingRecheckMs = pendingRecheckMs;
  }

  /** One pass over the product index, settling at most {@code maxPerTick} expired reservations. */
  public Future<Result> run(long now) {
    return page(0, now, maxPerTick, NOTHING);
  }

  private Future<Result> page(long offset, long now, int budget, Result sofar) {
    return redis.send(Request.cmd(Command.ZRANGE).arg(StockKeys.PRODUCT_INDEX).arg(offset).arg(offset + pageSize - 1))
        .compose(ids -> {
          if (ids == null || ids.size() == 0) {
            return Future.succeededFuture(sofar);
          }
          List<Long> productIds = new ArrayList<>();
          for (Response id : ids) {
            productIds.add(id.toLong());
          }
          return expired(productIds, now, budget).compose(due -> settle(due).compose(result -> {
            int left = budget - due.size();
            Result total = sofar.plus(result);
            return productIds.size() < pageSize || left <= 0 ? Future.succeededFuture(total)
                : page(offset + pageSize, now, left, total);
          }));
        });
  }

  /** The oldest overdue reservations of a page of products, at most {@code budget} per product. */
  private Future<List<Expired>> expired(List<Long> productIds, long now, int budget) {
    List<Request> reads = new ArrayList<>();
    for (long id : productIds) {
      reads.add(Request.cmd(Command.ZRANGEBYSCORE).arg(StockKeys.deadlines(id)).arg("-inf").arg(now)
          .arg("LIMIT").arg(0).arg(budget));
    }
    return redis.batch(reads).map(answers -> {
      List<Expired> due = new ArrayList<>();
      for (int i = 0; i < productIds.size() && due.size() < budget; i++) {
        for (Response orderId : answers.get(i)) {
          if (due.size() < budget) {
            due.add(new Expired(productIds.get(i), orderId.toString()));
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
    // Asked before the rows are read: an order acknowledged before a drained backlog has its row by then.
    // When Kafka cannot say, nothing without a row is released.
    return backlog.drained().otherwise(false).compose(drained -> pg.preparedQuery(
            "SELECT id, status FROM orders WHERE id = ANY($1)").execute(Tuple.of((Object) orderIds))
        .compose(rows -> {
          Map<String, String> status = new HashMap<>();
          rows.forEach(row -> status.put(row.getString("id"), row.getString("status")));
          List<Future<Result>> outcomes = new ArrayList<>();
          for (Expired order : due) {
            outcomes.add(switch (status.getOrDefault(order.orderId(), "NONE")) {
              case "PENDING" -> postpone(order);
              case "COMPLETED" -> run(StockAddresses.CONFIRM, order);
              case "NONE" -> drained ? run(StockAddresses.RELEASE, order) : postpone(order);
              default -> run(StockAddresses.RELEASE, order);
            });
          }
          // One order's failure (Redis or the stock verticle busy) must not hold back the others; it stays
          // due and the next pass retries it.
          return Future.join(outcomes).transform(done -> {
            Result total = NOTHING;
            for (Future<Result> outcome : outcomes) {
              total = total.plus(outcome.succeeded() ? outcome.result() : FAILED);
            }
            return Future.succeededFuture(total);
          });
        }));
  }

  private Future<Result> run(String address, Expired order) {
    JsonObject request = new JsonObject().put("productId", order.productId()).put("orderId", order.orderId());
    return vertx.eventBus().<JsonObject>request(address, request, LOCAL).compose(reply -> {
      String result = reply.body().getString("result");
      if ("RELEASED".equals(result)) {
        return Future.succeededFuture(new Result(1, 0, 0, 0, 0));
      }
      if ("CONFIRMED".equals(result)) {
        return Future.succeededFuture(new Result(0, 1, 0, 0, 0));
      }
      if ("NONE".equals(reply.body().getString("state"))) {
        // A deadline without its order hash holds no unit (reserve writes both at once): drop the entry.
        return redis.send(Request.cmd(Command.ZREM).arg(StockKeys.deadlines(order.productId())).arg(order.orderId()))
            .map(removed -> removed.toInteger() == 1 ? new Result(0, 0, 0, 1, 0) : NOTHING);
      }
      if ("FAILED".equals(result)) {
        // PostgreSQL says sold but Redis already gave the unit back: nothing to redo here, but worth a look.
        LOG.warn("order {} is COMPLETED in PostgreSQL but its unit is {} in Redis", order.orderId(),
            reply.body().getString("state"));
      }
      // Otherwise settled meanwhile by the saga or another sweeper; their script removed the deadline.
      return Future.succeededFuture(NOTHING);
    });
  }

  /** XX: only while still reserved (a settled order's deadline is gone and must stay gone); GT: never earlier. */
  private Future<Result> postpone(Expired order) {
    long recheckAt = System.currentTimeMillis() + pendingRecheckMs;
    return redis.send(Request.cmd(Command.ZADD).arg(StockKeys.deadlines(order.productId())).arg("XX").arg("GT")
            .arg("CH").arg(recheckAt).arg(order.orderId()))
        .map(changed -> changed.toInteger() == 1 ? new Result(0, 0, 1, 0, 0) : NOTHING);
  }
}
