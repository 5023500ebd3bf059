package avalanche.stock;

import avalanche.order.HandoffBacklog;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lifts the hold of products {@link StockRebuild} recreated after Redis lost its data. Orders
 * accepted (202) before the loss but still on their way to the saga in {@code order.requested} had
 * no PostgreSQL row when the product was rebuilt, so their units were counted as available again;
 * until each has its unit back, the product takes no attempt (reserve.lua answers RESTORING).
 * Orders still in the product's outbox (only when Redis lost the product's hash but not its outbox)
 * are on their way too. Once the product's outbox is empty (a held product takes no new order, so
 * it only drains) and, after that, the saga has taken up every order produced ({@link
 * HandoffBacklog}), all of them have rows: each open saga of the product gets its unit
 * (check_stock.lua, which does nothing for an order that already has one), then the hold goes.
 * Idempotent, so several processes may run it at once.
 */
public final class StockRestore {
  private static final Logger LOG = LoggerFactory.getLogger(StockRestore.class);

  private final Pool pg;
  private final Redis redis;
  private final HandoffBacklog backlog;
  private final long reservationTtlMs;

  public StockRestore(Pool pg, Redis redis, HandoffBacklog backlog, long reservationTtlMs) {
    this.pg = pg;
    this.redis = redis;
    this.backlog = backlog;
    this.reservationTtlMs = reservationTtlMs;
  }

  /** One pass; answers how many products were released for sale again. */
  public Future<Integer> run() {
    return held()
        .compose(
            products -> {
              if (products.isEmpty()) {
                return Future.succeededFuture(0);
              }
              return emptyOutboxes(products)
                  .compose(
                      relayed -> {
                        if (relayed.isEmpty()) {
                          LOG.info(
                              "{} rebuilt product(s) wait for the relay to empty their outbox before they sell again",
                              products.size());
                          return Future.succeededFuture(0);
                        }
                        return backlog
                            .drained()
                            .compose(
                                drained -> {
                                  if (!drained) {
                                    LOG.info(
                                        "{} rebuilt product(s) wait for the saga to take up order.requested before they sell again",
                                        relayed.size());
                                    return Future.succeededFuture(0);
                                  }
                                  Future<Integer> chain = Future.succeededFuture(0);
                                  for (long productId : relayed) {
                                    chain = chain.compose(n -> restore(productId).map(n + 1));
                                  }
                                  return chain;
                                });
                      });
            });
  }

  /** The products among {@code productIds} whose outbox holds no order (XLEN 0). */
  private Future<List<Long>> emptyOutboxes(List<Long> productIds) {
    List<Request> lengths = new ArrayList<>();
    for (long id : productIds) {
      lengths.add(Request.cmd(Command.XLEN).arg(StockKeys.outbox(id)));
    }
    return redis
        .batch(lengths)
        .map(
            answers -> {
              List<Long> empty = new ArrayList<>();
              for (int i = 0; i < productIds.size(); i++) {
                if (answers.get(i).toLong() == 0) {
                  empty.add(productIds.get(i));
                }
              }
              return empty;
            });
  }

  /** Ids of the products on hold (the index, then one pipelined HGET per product). */
  private Future<List<Long>> held() {
    return redis
        .send(Request.cmd(Command.ZRANGE).arg(StockKeys.PRODUCT_INDEX).arg(0).arg(-1))
        .compose(
            ids -> {
              List<Long> productIds = new ArrayList<>();
              List<Request> holds = new ArrayList<>();
              for (Response id : ids) {
                productIds.add(id.toLong());
                holds.add(
                    Request.cmd(Command.HGET)
                        .arg(StockKeys.product(id.toLong()))
                        .arg(StockKeys.HOLD));
              }
              if (holds.isEmpty()) {
                return Future.succeededFuture(List.of());
              }
              return redis
                  .batch(holds)
                  .map(
                      answers -> {
                        List<Long> held = new ArrayList<>();
                        for (int i = 0; i < productIds.size(); i++) {
                          if (answers.get(i) != null) {
                            held.add(productIds.get(i));
                          }
                        }
                        return held;
                      });
            });
  }

  private Future<Void> restore(long productId) {
    return pg.preparedQuery(
            """
            SELECT id, user_id, price, created_at FROM orders
             WHERE product_id = $1 AND status = 'PENDING' AND saga_state IN ('RUNNING', 'CONFIRMING')""")
        .execute(Tuple.of(productId))
        .compose(
            rows -> {
              long now = System.currentTimeMillis();
              List<Request> checks = new ArrayList<>();
              List<String> orderIds = new ArrayList<>();
              for (Row row : rows) {
                orderIds.add(row.getString("id"));
                checks.add(
                    StockScripts.checkStock(
                        productId,
                        row.getString("id"),
                        row.getLong("user_id"),
                        row.getLong("price"),
                        row.getOffsetDateTime("created_at").toInstant().toEpochMilli(),
                        now + reservationTtlMs));
              }
              Future<List<Response>> adopted =
                  checks.isEmpty()
                      ? Future.succeededFuture(List.of())
                      : StockScripts.CHECK_STOCK.runAll(redis::batch, redis::send, checks);
              return adopted.compose(
                  answers -> {
                    int taken = 0;
                    for (int i = 0; i < answers.size(); i++) {
                      String answer = answers.get(i).get(0).toString();
                      if ("ADOPTED".equals(answer)) {
                        taken++;
                      } else if ("NONE".equals(answer) || "TAKEN".equals(answer)) {
                        LOG.error(
                            "product {}: order {} could not get its unit back after the rebuild ({})",
                            productId,
                            orderIds.get(i),
                            answer);
                      }
                    }
                    LOG.info(
                        "product {} sells again: {} order(s) accepted before Redis lost its data got their unit back",
                        productId,
                        taken);
                    return redis.send(
                        Request.cmd(Command.HDEL)
                            .arg(StockKeys.product(productId))
                            .arg(StockKeys.HOLD));
                  });
            })
        .mapEmpty();
  }
}
