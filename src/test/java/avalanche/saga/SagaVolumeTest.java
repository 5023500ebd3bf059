package avalanche.saga;

import static avalanche.App.await;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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
@Timeout(value = 240, unit = TimeUnit.SECONDS)
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

  /** One order answered 202: its buyer and id. */
  private record Won(long userId, String orderId) {}

  @Test
  void aStampedeSettlesEveryOrderAndKeepsTheInvariants() {
    int poor = USERS * POOR_PERCENT / 100;
    long productId = await(server.createProduct("COMMON", PRICE, STOCK));
    // Each user's balance before the drop: the rich, those just under the price, those with none.
    Map<Long, Long> start = new HashMap<>();
    await(server.createUsers(USERS - poor, 1_000)).forEach(id -> start.put(id, 1_000L));
    await(server.createUsers(poor / 2, PRICE - 1)).forEach(id -> start.put(id, PRICE - 1));
    await(server.createUsers(poor - poor / 2, 0)).forEach(id -> start.put(id, 0L));
    List<Long> users = new ArrayList<>(start.keySet());
    Collections.shuffle(users);

    long stampede = System.currentTimeMillis();
    List<Won> won = await(stampede(productId, users));
    LOG.info(
        "stampede: {} users, {} answered 202 in {} ms",
        users.size(),
        won.size(),
        System.currentTimeMillis() - stampede);
    await(settle(productId, won.size()));
    List<String> statuses = await(statuses(won));
    JsonObject stock = await(saga.stock(productId));
    long completedRows = await(saga.completedOrders(productId));
    List<String> broken = await(ledgers(start));
    long[] latencies = await(timings(productId));

    long completed = statuses.stream().filter("COMPLETED"::equals).count();
    long cancelled = statuses.stream().filter("CANCELLED"::equals).count();
    assertThat(completed + cancelled).isEqualTo(won.size());
    assertThat(won.size()).isGreaterThanOrEqualTo(Math.min(STOCK, users.size()));
    assertThat(stock.getLong("sold")).isEqualTo(completed).isEqualTo(completedRows);
    assertThat(stock.getLong("reserved")).isEqualTo(0);
    assertThat(stock.getLong("available") + stock.getLong("reserved") + stock.getLong("sold"))
        .isEqualTo(stock.getLong("total"))
        .isEqualTo(STOCK);
    assertThat(completed).isLessThanOrEqualTo(STOCK);
    // Every user who could pay and got a 202 completed; every one who could not was cancelled.
    for (int i = 0; i < won.size(); i++) {
      long balance = start.get(won.get(i).userId());
      assertThat(statuses.get(i)).isEqualTo(balance >= PRICE ? "COMPLETED" : "CANCELLED");
    }
    assertThat(broken).isEmpty();
    LOG.info(
        "volume: {} sagas ({} completed, {} cancelled) settled at {} sagas/s; 202→terminal "
            + "p50 {} ms, p99 {} ms, max {} ms",
        won.size(),
        completed,
        cancelled,
        String.format("%.0f", won.size() * 1000.0 / Math.max(1, latencies[3])),
        latencies[0],
        latencies[1],
        latencies[2]);
  }

  @Test
  void aSteadyStreamOfOrdersSettlesWithBoundedDelay() {
    int rate = Integer.getInteger("saga.steady.rate", 40);
    int seconds = Integer.getInteger("saga.steady.seconds", 10);
    int orders = rate * seconds;
    long productId = await(server.createProduct("COMMON", PRICE, orders));
    List<Long> users = await(server.createUsers(orders, PRICE));

    List<String> placed = await(steadily(productId, users, Math.max(1, rate / 20)));
    List<Won> won = new ArrayList<>(orders);
    for (int i = 0; i < orders; i++) {
      won.add(new Won(users.get(i), placed.get(i)));
    }
    await(settle(productId, orders));
    List<String> statuses = await(statuses(won));
    JsonObject stock = await(saga.stock(productId));
    long[] latencies = await(timings(productId));

    assertThat(statuses).allSatisfy(status -> assertThat(status).isEqualTo("COMPLETED"));
    assertThat(stock.getLong("sold")).isEqualTo(orders);
    assertThat(stock.getLong("reserved")).isEqualTo(0);
    LOG.info(
        "steady: {} orders offered at {}/s settled at {} sagas/s; 202→terminal p50 {} ms, "
            + "p99 {} ms, max {} ms",
        orders,
        rate,
        String.format("%.0f", orders * 1000.0 / Math.max(1, latencies[3])),
        latencies[0],
        latencies[1],
        latencies[2]);
  }

  /**
   * Every user buys at once; the 202s, in the users' order. Any answer but 202 or 409 fails the
   * stampede.
   */
  private static Future<List<Won>> stampede(long productId, List<Long> users) {
    List<Future<Won>> attempts = new ArrayList<>(users.size());
    for (long userId : users) {
      attempts.add(
          saga.purchase(productId, userId, SagaTests.ADDRESS)
              .map(
                  response -> {
                    if (response.statusCode() == 202) {
                      return new Won(userId, response.bodyAsJsonObject().getString("orderId"));
                    }
                    if (response.statusCode() != 409) {
                      throw new AssertionError(
                          "unexpected " + response.statusCode() + " " + response.bodyAsString());
                    }
                    return null;
                  }));
    }
    return Future.all(attempts)
        .map(all -> all.<Won>list().stream().filter(w -> w != null).toList());
  }

  /**
   * An open-loop arrival rate: {@code perTick} purchases every 50 ms, whatever the server's
   * backlog, one per user; the order ids, in the users' order.
   */
  private static Future<List<String>> steadily(long productId, List<Long> users, int perTick) {
    List<Future<String>> placed = new ArrayList<>(users.size());
    Promise<Void> sent = Promise.promise();
    server
        .vertx()
        .setPeriodic(
            50,
            timer -> {
              for (int i = 0; i < perTick && placed.size() < users.size(); i++) {
                placed.add(saga.reserve(productId, users.get(placed.size()), SagaTests.ADDRESS));
              }
              if (placed.size() == users.size()) {
                server.vertx().cancelTimer(timer);
                sent.complete();
              }
            });
    return sent.future().compose(v -> Future.all(placed)).map(all -> all.<String>list());
  }

  /**
   * Waits until all {@code orders} of the product are terminal, watching PostgreSQL (one query per
   * poll rather than hundreds of pollers loading the server under test); the orders are then read
   * once through the API. Counting PENDING rows is not enough: the coordinator may not have stored
   * the last orders' rows yet.
   */
  private static Future<Long> settle(long productId, int orders) {
    return Eventually.eventually(
        server.vertx(),
        SETTLE_MS,
        () ->
            saga.count(
                "SELECT count(*) FROM orders WHERE product_id = $1 AND status IN ('COMPLETED', 'CANCELLED')",
                productId),
        terminal -> terminal >= orders);
  }

  /** Each won order's status, read through the API, in the same order. */
  private static Future<List<String>> statuses(List<Won> won) {
    return Future.all(won.stream().map(w -> saga.order(w.orderId(), w.userId())).toList())
        .map(
            all ->
                all.<JsonObject>list().stream().map(order -> order.getString("status")).toList());
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
