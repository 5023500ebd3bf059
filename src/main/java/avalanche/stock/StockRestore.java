package avalanche.stock;

import avalanche.infra.redis.RedisLink;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 *
 * <p>A product split over buckets is restored as a whole once every bucket on hold has an empty
 * outbox; an order whose bucket has no unit left for it borrows one from another bucket first
 * (bucket_lend.lua, allowed on hold here), so the even split of the rebuild never costs an order
 * its unit while the product still has one.
 */
public final class StockRestore {
  private static final Logger LOG = LoggerFactory.getLogger(StockRestore.class);

  private final Pool pg;
  private final Redis redis;
  private final HandoffBacklog backlog;
  private final long reservationTtlMs;
  private final StockScripts scripts;

  public StockRestore(Pool pg, Redis redis, HandoffBacklog backlog, long reservationTtlMs) {
    this.pg = pg;
    this.redis = redis;
    this.backlog = backlog;
    this.reservationTtlMs = reservationTtlMs;
    this.scripts = new StockScripts(new RedisLink(redis), reservationTtlMs);
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
                                  for (Map.Entry<Long, List<String>> product : relayed.entrySet()) {
                                    chain =
                                        chain.compose(
                                            n ->
                                                restore(product.getKey(), product.getValue())
                                                    .map(n + 1));
                                  }
                                  return chain;
                                });
                      });
            });
  }

  /** The products among {@code held} whose held buckets' outboxes hold no order (XLEN 0). */
  private Future<Map<Long, List<String>>> emptyOutboxes(Map<Long, List<String>> held) {
    List<Request> lengths = new ArrayList<>();
    held.values()
        .forEach(
            tags ->
                tags.forEach(t -> lengths.add(Request.cmd(Command.XLEN).arg(StockKeys.outbox(t)))));
    return redis
        .batch(lengths)
        .map(
            answers -> {
              Map<Long, List<String>> empty = new LinkedHashMap<>();
              int next = 0;
              for (Map.Entry<Long, List<String>> product : held.entrySet()) {
                boolean drained = true;
                for (int i = 0; i < product.getValue().size(); i++) {
                  drained &= answers.get(next++).toLong() == 0;
                }
                if (drained) {
                  empty.put(product.getKey(), product.getValue());
                }
              }
              return empty;
            });
  }

  /** The buckets on hold, by product (the bucket index, then one pipelined HGET per bucket). */
  private Future<Map<Long, List<String>>> held() {
    return redis
        .send(Request.cmd(Command.ZRANGE).arg(StockKeys.BUCKET_INDEX).arg(0).arg(-1))
        .compose(
            index -> {
              List<String> tags = new ArrayList<>();
              List<Request> holds = new ArrayList<>();
              for (Response tag : index) {
                tags.add(tag.toString());
                holds.add(
                    Request.cmd(Command.HGET)
                        .arg(StockKeys.bucket(tag.toString()))
                        .arg(StockKeys.HOLD));
              }
              if (holds.isEmpty()) {
                return Future.succeededFuture(Map.of());
              }
              return redis
                  .batch(holds)
                  .map(
                      answers -> {
                        Map<Long, List<String>> held = new LinkedHashMap<>();
                        for (int i = 0; i < tags.size(); i++) {
                          if (answers.get(i) != null) {
                            held.computeIfAbsent(
                                    StockKeys.productOfTag(tags.get(i)), p -> new ArrayList<>())
                                .add(tags.get(i));
                          }
                        }
                        return held;
                      });
            });
  }

  private Future<Void> restore(long productId, List<String> heldTags) {
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
                        row.getString("id"),
                        row.getLong("user_id"),
                        row.getLong("price"),
                        row.getOffsetDateTime("created_at").toInstant().toEpochMilli(),
                        now + reservationTtlMs));
              }
              Future<List<Response>> adopted =
                  checks.isEmpty()
                      ? Future.succeededFuture(List.of())
                      : StockScripts.CHECK_STOCK
                          .runAll(redis::batch, redis::send, checks)
                          .compose(answers -> borrowForNone(productId, orderIds, checks, answers));
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
                    List<Future<Response>> lifted = new ArrayList<>();
                    for (String tag : heldTags) {
                      lifted.add(
                          redis.send(
                              Request.cmd(Command.HDEL)
                                  .arg(StockKeys.bucket(tag))
                                  .arg(StockKeys.HOLD)));
                    }
                    return Future.all(lifted);
                  });
            })
        .mapEmpty();
  }

  /**
   * For every order answered NONE (its bucket had no unit left for it): one unit lent from another
   * bucket of the product that has one, then the order's check again. An unbucketed product, or one
   * with no unit anywhere, keeps its NONE.
   */
  private Future<List<Response>> borrowForNone(
      long productId, List<String> orderIds, List<Request> checks, List<Response> answers) {
    List<Response> out = new ArrayList<>(answers);
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < answers.size(); i++) {
      if (!"NONE".equals(answers.get(i).get(0).toString())) {
        continue;
      }
      int index = i;
      chain =
          chain.compose(
              v ->
                  borrowOne(productId, StockKeys.tagOfOrder(orderIds.get(index)))
                      .compose(
                          borrowed ->
                              borrowed
                                  ? StockScripts.CHECK_STOCK
                                      .runAll(redis::batch, redis::send, List.of(checks.get(index)))
                                      .map(again -> out.set(index, again.get(0)))
                                  : Future.succeededFuture())
                      .mapEmpty());
    }
    return chain.map(out);
  }

  /** Lends one unit to bucket {@code to} of the product; false when no other bucket has one. */
  private Future<Boolean> borrowOne(long productId, String to) {
    return redis
        .send(Request.cmd(Command.HMGET).arg(StockKeys.product(productId)).arg(Buckets.SALTS_FIELD))
        .compose(
            salts -> {
              Buckets buckets =
                  Buckets.parse(productId, salts.get(0) == null ? null : salts.get(0).toString());
              List<Future<Response>> reads = new ArrayList<>();
              for (String tag : buckets.tags()) {
                reads.add(
                    redis.send(
                        Request.cmd(Command.HMGET)
                            .arg(StockKeys.bucket(tag))
                            .arg("available")
                            .arg(Buckets.EPOCH_FIELD)));
              }
              return Future.all(reads)
                  .compose(
                      all -> {
                        List<String> tags = buckets.tags();
                        long epoch = 0;
                        String from = null;
                        for (int b = 0; b < tags.size(); b++) {
                          Response fields = reads.get(b).result();
                          if (tags.get(b).equals(to)) {
                            epoch = fields.get(1) == null ? 0 : fields.get(1).toLong();
                          } else if (from == null
                              && fields.get(0) != null
                              && fields.get(0).toLong() > 0) {
                            from = tags.get(b);
                          }
                        }
                        if (from == null) {
                          return Future.succeededFuture(false);
                        }
                        String lender = from;
                        long toEpoch = epoch;
                        String moveId = "restore." + System.nanoTime();
                        return scripts
                            .lend(lender, moveId, to, toEpoch, 1, true)
                            .compose(
                                lent ->
                                    lent == 0
                                        ? Future.succeededFuture(false)
                                        : scripts
                                            .receive(to, moveId, toEpoch, lent)
                                            .compose(
                                                received ->
                                                    scripts.settle(lender, moveId, received))
                                            .map(true));
                      });
            });
  }
}
