package avalanche.saga;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stampede over HTTP: 2,000 users with mixed balances (some below the price) rush a product of
 * 300. Every 202 must settle, and the drop's invariants must hold afterwards: sold == COMPLETED
 * orders, total == available + reserved + sold, each user's ledger explains the balance, nobody
 * below 0. The settle rate and the 202→terminal latencies are logged (not asserted). Sizes can be
 * raised for a measurement run: -Dsaga.volume.users=..., -Dsaga.volume.stock=...,
 * -Dsaga.volume.poorPercent=..., -Dsaga.steady.rate=... (orders/s), -Dsaga.steady.seconds=...,
 * -Dsaga.volume.instances=... (per saga role).
 */
@Tag("measurement")
@ExtendWith(VertxExtension.class)
@Timeout(value = 240, timeUnit = TimeUnit.SECONDS)
class SagaVolumeTest {
  private static final Logger LOG = LoggerFactory.getLogger(SagaVolumeTest.class);
  private static final int USERS = Integer.getInteger("saga.volume.users", 2_000);
  private static final int STOCK = Integer.getInteger("saga.volume.stock", 300);

  /**
   * Percent of users who cannot pay: half of them hold exactly nothing useful, half just under the
   * price.
   */
  private static final int POOR_PERCENT = Integer.getInteger("saga.volume.poorPercent", 30);

  private static final long PRICE = 100;
  private static final long SETTLE_MS = 120_000;
  private static final int INSTANCES = Integer.getInteger("saga.volume.instances", 1);

  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject()
              .put(
                  "verticles",
                  new JsonObject()
                      .put("sagaCoordinator", INSTANCES)
                      .put("point", INSTANCES)
                      .put("shipping", INSTANCES)
                      .put("stockParticipant", INSTANCES)));

  private static final SagaTests saga = new SagaTests(server);

  @Test
  void aStampedeSettlesEveryOrderAndKeepsTheInvariants(VertxTestContext test) {
    int poor = USERS * POOR_PERCENT / 100;
    Map<Long, Long> start = new HashMap<>();
    Future.all(
            server.createProduct("COMMON", PRICE, STOCK),
            server.createUsers(USERS - poor, 1_000),
            server.createUsers(poor / 2, PRICE - 1),
            server.createUsers(poor - poor / 2, 0))
        .compose(
            setup -> {
              long productId = setup.resultAt(0);
              List<Long> users = new ArrayList<>();
              long[] balances = {1_000, PRICE - 1, 0};
              for (int group = 0; group < 3; group++) {
                for (long id : setup.<List<Long>>resultAt(group + 1)) {
                  users.add(id);
                  start.put(id, balances[group]);
                }
              }
              java.util.Collections.shuffle(users);
              long stampede = System.currentTimeMillis();
              List<Future<Map.Entry<Long, String>>> attempts = new ArrayList<>(users.size());
              for (long userId : users) {
                attempts.add(
                    saga.purchase(productId, userId, SagaTests.ADDRESS)
                        .map(
                            response -> {
                              if (response.statusCode() == 202) {
                                return Map.entry(
                                    userId, response.bodyAsJsonObject().getString("orderId"));
                              }
                              if (response.statusCode() != 409) {
                                throw new AssertionError(
                                    "unexpected "
                                        + response.statusCode()
                                        + " "
                                        + response.bodyAsString());
                              }
                              return null;
                            }));
              }
              return Future.all(attempts)
                  .compose(
                      all -> {
                        List<Map.Entry<Long, String>> won = new ArrayList<>();
                        attempts.forEach(
                            a -> {
                              if (a.result() != null) {
                                won.add(a.result());
                              }
                            });
                        LOG.info(
                            "stampede: {} users, {} answered 202 in {} ms",
                            users.size(),
                            won.size(),
                            System.currentTimeMillis() - stampede);
                        List<Future<JsonObject>> settled = new ArrayList<>(won.size());
                        return settle(productId, won.size())
                            .compose(
                                none -> {
                                  for (var order : won) {
                                    settled.add(saga.order(order.getValue(), order.getKey()));
                                  }
                                  return Future.all(settled);
                                })
                            .compose(
                                done ->
                                    Future.all(
                                            saga.stock(productId),
                                            saga.completedOrders(productId),
                                            ledgers(start),
                                            timings(productId))
                                        .map(
                                            facts -> {
                                              test.verify(
                                                  () -> {
                                                    long completed =
                                                        settled.stream()
                                                            .filter(
                                                                o ->
                                                                    "COMPLETED"
                                                                        .equals(
                                                                            o.result()
                                                                                .getString(
                                                                                    "status")))
                                                            .count();
                                                    long cancelled =
                                                        settled.stream()
                                                            .filter(
                                                                o ->
                                                                    "CANCELLED"
                                                                        .equals(
                                                                            o.result()
                                                                                .getString(
                                                                                    "status")))
                                                            .count();
                                                    assertThat(completed + cancelled)
                                                        .isEqualTo(won.size());
                                                    assertThat(won.size())
                                                        .isGreaterThanOrEqualTo(
                                                            Math.min(STOCK, users.size()));
                                                    JsonObject stock = facts.resultAt(0);
                                                    assertThat(stock.getLong("sold"))
                                                        .isEqualTo(completed)
                                                        .isEqualTo(facts.<Long>resultAt(1));
                                                    assertThat(stock.getLong("reserved"))
                                                        .isEqualTo(0);
                                                    assertThat(
                                                            stock.getLong("available")
                                                                + stock.getLong("reserved")
                                                                + stock.getLong("sold"))
                                                        .isEqualTo(stock.getLong("total"))
                                                        .isEqualTo(STOCK);
                                                    assertThat(completed)
                                                        .isLessThanOrEqualTo(STOCK);
                                                    // Every user who could pay and got a 202
                                                    // completed; every one who could not was
                                                    // cancelled.
                                                    for (int i = 0; i < won.size(); i++) {
                                                      long balance = start.get(won.get(i).getKey());
                                                      assertThat(
                                                              settled
                                                                  .get(i)
                                                                  .result()
                                                                  .getString("status"))
                                                          .isEqualTo(
                                                              balance >= PRICE
                                                                  ? "COMPLETED"
                                                                  : "CANCELLED");
                                                    }
                                                    List<String> broken = facts.resultAt(2);
                                                    assertThat(broken).isEmpty();
                                                    long[] latencies = facts.resultAt(3);
                                                    LOG.info(
                                                        "volume: {} sagas ({} completed, {} cancelled) settled at {} sagas/s; 202→terminal "
                                                            + "p50 {} ms, p99 {} ms, max {} ms",
                                                        won.size(),
                                                        completed,
                                                        cancelled,
                                                        String.format(
                                                            "%.0f",
                                                            won.size()
                                                                * 1000.0
                                                                / Math.max(1, latencies[3])),
                                                        latencies[0],
                                                        latencies[1],
                                                        latencies[2]);
                                                  });
                                              return facts;
                                            }));
                      });
            })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void aSteadyStreamOfOrdersSettlesWithBoundedDelay(VertxTestContext test) {
    int rate = Integer.getInteger("saga.steady.rate", 40);
    int seconds = Integer.getInteger("saga.steady.seconds", 10);
    int orders = rate * seconds;
    int perTick = Math.max(1, rate / 20);
    Future.all(server.createProduct("COMMON", PRICE, orders), server.createUsers(orders, PRICE))
        .compose(
            setup -> {
              long productId = setup.resultAt(0);
              List<Long> users = setup.resultAt(1);
              List<Future<String>> placed = new ArrayList<>(orders);
              io.vertx.core.Promise<Void> sent = io.vertx.core.Promise.promise();
              // An open-loop arrival rate: perTick purchases every 50 ms, whatever the server's
              // backlog.
              server
                  .vertx()
                  .setPeriodic(
                      50,
                      timer -> {
                        for (int i = 0; i < perTick && placed.size() < orders; i++) {
                          placed.add(
                              saga.reserve(productId, users.get(placed.size()), SagaTests.ADDRESS));
                        }
                        if (placed.size() == orders) {
                          server.vertx().cancelTimer(timer);
                          sent.complete();
                        }
                      });
              return sent.future()
                  .compose(v -> Future.all(placed))
                  .compose(
                      all -> {
                        List<Future<JsonObject>> settled = new ArrayList<>(orders);
                        return settle(productId, orders)
                            .compose(
                                none -> {
                                  for (int i = 0; i < orders; i++) {
                                    settled.add(saga.order(placed.get(i).result(), users.get(i)));
                                  }
                                  return Future.all(settled);
                                })
                            .compose(done -> Future.all(saga.stock(productId), timings(productId)))
                            .map(
                                facts -> {
                                  test.verify(
                                      () -> {
                                        assertThat(settled)
                                            .allSatisfy(
                                                o ->
                                                    assertThat(o.result().getString("status"))
                                                        .isEqualTo("COMPLETED"));
                                        JsonObject stock = facts.resultAt(0);
                                        assertThat(stock.getLong("sold")).isEqualTo(orders);
                                        assertThat(stock.getLong("reserved")).isEqualTo(0);
                                        long[] latencies = facts.resultAt(1);
                                        LOG.info(
                                            "steady: {} orders offered at {}/s settled at {} sagas/s; 202→terminal p50 {} ms, "
                                                + "p99 {} ms, max {} ms",
                                            orders,
                                            rate,
                                            String.format(
                                                "%.0f",
                                                orders * 1000.0 / Math.max(1, latencies[3])),
                                            latencies[0],
                                            latencies[1],
                                            latencies[2]);
                                      });
                                  return facts;
                                });
                      });
            })
        .onComplete(test.succeedingThenComplete());
  }

  /**
   * Waits until no order of the product is PENDING, watching PostgreSQL (one query per 100 ms
   * rather than hundreds of pollers loading the server under test); the orders are then read once
   * through the API.
   */
  /**
   * Waits until all {@code orders} of the product are terminal. Counting PENDING rows is not
   * enough: the coordinator may not have stored the last orders' rows yet.
   */
  private static Future<Long> settle(long productId, int orders) {
    return Eventually.eventually(
        server.vertx(),
        SETTLE_MS,
        () ->
            server
                .pg()
                .preparedQuery(
                    "SELECT count(*) FROM orders WHERE product_id = $1 AND status IN ('COMPLETED', 'CANCELLED')")
                .execute(Tuple.of(productId))
                .map(rows -> rows.iterator().next().getLong(0)),
        terminal -> terminal >= orders);
  }

  /**
   * Users whose ledger does not explain their balance, or whose balance is negative (must be none).
   */
  private static Future<List<String>> ledgers(Map<Long, Long> start) {
    return server
        .pg()
        .preparedQuery(
            """
            SELECT u.id, u.points, coalesce(sum(l.amount), 0) AS moved
              FROM users u LEFT JOIN point_ledger l ON l.user_id = u.id
             WHERE u.id = ANY($1) GROUP BY u.id, u.points""")
        .execute(Tuple.of((Object) start.keySet().toArray(new Long[0])))
        .map(
            rows -> {
              List<String> broken = new ArrayList<>();
              for (Row row : rows) {
                long id = row.getLong("id");
                long points = row.getLong("points");
                if (points < 0 || start.get(id) + row.getLong("moved") != points) {
                  broken.add(
                      id
                          + ": start "
                          + start.get(id)
                          + " moved "
                          + row.getLong("moved")
                          + " points "
                          + points);
                }
              }
              if (rows.size() != start.size()) {
                broken.add("only " + rows.size() + " of " + start.size() + " users found");
              }
              return broken;
            });
  }

  /**
   * p50, p99 and max of created→settled per order, and the span from the first 202 to the last
   * settle (ms).
   */
  private static Future<long[]> timings(long productId) {
    return server
        .pg()
        .preparedQuery(
            """
            SELECT (extract(epoch FROM updated_at - created_at) * 1000)::bigint AS took,
                   (extract(epoch FROM max(updated_at) OVER () - min(created_at) OVER ()) * 1000)::bigint AS span
              FROM orders WHERE product_id = $1 AND status <> 'PENDING'""")
        .execute(Tuple.of(productId))
        .map(
            rows -> {
              long[] took = new long[rows.size()];
              long span = 0;
              int i = 0;
              for (Row row : rows) {
                took[i++] = row.getLong("took");
                span = row.getLong("span");
              }
              Arrays.sort(took);
              return new long[] {
                percentile(took, 50), percentile(took, 99), took[took.length - 1], span
              };
            });
  }

  private static long percentile(long[] sorted, int p) {
    return sorted[Math.max(0, (int) Math.ceil(sorted.length * p / 100.0) - 1)];
  }
}
