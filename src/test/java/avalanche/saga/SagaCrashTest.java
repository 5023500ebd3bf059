package avalanche.saga;

import static avalanche.App.await;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A coordinator stops while its sagas are in flight; another server on the same Kafka, PostgreSQL
 * and Redis carries them on from the state in PostgreSQL, and every compensation happens exactly
 * once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SagaCrashTest {
  // Coordinator only: the commands it sends wait in Kafka until a participant comes.
  @RegisterExtension
  static final TestServer first =
      TestServer.extension(
          new JsonObject()
              .put(
                  "verticles",
                  new JsonObject().put("stockParticipant", 0).put("point", 0).put("shipping", 0)));

  @Test
  void anotherServerFinishesSagasWhoseCoordinatorStoppedBetweenCommandsAndReplies() {
    SagaTests saga = new SagaTests(first);
    long productId = await(first.createProduct("COMMON", 100, 5));
    List<Long> users = await(first.createUsers(2, 1_000));
    long good = users.get(0);
    long badAddress = users.get(1);
    String completed = await(saga.reserve(productId, good, SagaTests.ADDRESS));
    String cancelled = await(saga.reserve(productId, badAddress, "-"));
    // Both sagas stored, commands out, no reply yet: now the coordinator goes away.
    await(
        Eventually.eventually(
            first.vertx(), 20_000, () -> stored(completed, cancelled), n -> n == 2));
    first.app().stopSagaCoordinator();

    try (TestServer second = TestServer.start()) {
      SagaTests other = new SagaTests(second);
      JsonObject done = await(other.terminal(completed, good, 30_000));
      JsonObject off = await(other.terminal(cancelled, badAddress, 30_000));
      SagaTests.Facts paid = await(saga.facts(completed, good, productId));
      SagaTests.Facts refunded = await(saga.facts(cancelled, badAddress, productId));

      assertThat(done.getString("status")).isEqualTo("COMPLETED");
      assertThat(off.getString("status")).isEqualTo("CANCELLED");
      assertThat(off.getString("failureReason")).isEqualTo("INVALID_ADDRESS");
      assertThat(off.getJsonObject("compensationStatuses").getMap())
          .containsOnlyKeys("CHECK_STOCK", "APPLY_POINTS");
      assertThat(paid.ledger()).containsEntry("rows", 1L);
      assertThat(refunded.ledger())
          .containsEntry("DEDUCT", -100L)
          .containsEntry("REFUND", 100L)
          .containsEntry("rows", 2L);
      assertThat(paid.points()).isEqualTo(900);
      assertThat(refunded.points()).isEqualTo(1_000);
      assertThat(paid.shipment()).isEqualTo("REGISTERED");
      assertThat(refunded.shipment()).isNull();
      JsonObject stock = refunded.stock();
      assertThat(stock.getLong("available")).isEqualTo(4);
      assertThat(stock.getLong("reserved")).isEqualTo(0);
      assertThat(stock.getLong("sold")).isEqualTo(1);
    }
  }

  @Test
  void aCoordinatorStoppedInTheMiddleOfABurstLosesNothingAndRepeatsNothing() {
    int buyers = 40;
    // Two full servers share the work; the first one's coordinator stops after the first orders
    // settle.
    try (TestServer second = TestServer.start()) {
      SagaTests saga = new SagaTests(second);
      long productId = await(second.createProduct("COMMON", 100, buyers));
      List<Long> users = await(second.createUsers(buyers, 1_000));
      List<Future<String>> reserved = new ArrayList<>();
      for (int i = 0; i < buyers; i++) {
        // Every other buyer gives an unusable address, so half the sagas compensate.
        reserved.add(saga.reserve(productId, users.get(i), i % 2 == 0 ? SagaTests.ADDRESS : "  "));
      }
      List<String> orders = await(Future.all(reserved)).list();
      await(Eventually.eventually(first.vertx(), 30_000, () -> settled(productId), n -> n >= 4));
      first.app().stopSagaCoordinator();

      for (int i = 0; i < buyers; i++) {
        await(saga.terminal(orders.get(i), users.get(i), 60_000));
      }
      List<String> rows = await(perOrderFacts(productId));
      JsonObject stock = await(saga.stock(productId));
      long completed = await(saga.completedOrders(productId));

      assertThat(rows).hasSize(buyers);
      // status:deducts:refunds:shipment — completed paid once; cancelled paid once and refunded
      // once.
      assertThat(rows.stream().filter(r -> r.equals("COMPLETED:1:0:REGISTERED")).count())
          .isEqualTo(buyers / 2);
      assertThat(rows.stream().filter(r -> r.equals("CANCELLED:1:1:none")).count())
          .isEqualTo(buyers / 2);
      assertThat(stock.getLong("sold")).isEqualTo(buyers / 2).isEqualTo(completed);
      assertThat(stock.getLong("reserved")).isEqualTo(0);
      assertThat(stock.getLong("available") + stock.getLong("reserved") + stock.getLong("sold"))
          .isEqualTo(stock.getLong("total"));
    }
  }

  private static Future<Integer> stored(String... orderIds) {
    return first
        .pg()
        .preparedQuery("SELECT count(*) FROM orders WHERE id = ANY($1)")
        .execute(Tuple.of((Object) orderIds))
        .map(rows -> rows.iterator().next().getInteger(0));
  }

  private static Future<Long> settled(long productId) {
    return first
        .pg()
        .preparedQuery("SELECT count(*) FROM orders WHERE product_id = $1 AND status <> 'PENDING'")
        .execute(Tuple.of(productId))
        .map(rows -> rows.iterator().next().getLong(0));
  }

  private static Future<List<String>> perOrderFacts(long productId) {
    return first
        .pg()
        .preparedQuery(
            """
            SELECT o.status,
                   (SELECT count(*) FROM point_ledger l WHERE l.order_id = o.id AND l.kind = 'DEDUCT') AS deducts,
                   (SELECT count(*) FROM point_ledger l WHERE l.order_id = o.id AND l.kind = 'REFUND') AS refunds,
                   coalesce((SELECT s.status FROM shipments s WHERE s.order_id = o.id), 'none') AS shipment
              FROM orders o WHERE o.product_id = $1""")
        .execute(Tuple.of(productId))
        .map(
            rows -> {
              List<String> out = new ArrayList<>();
              for (Row row : rows) {
                out.add(
                    row.getString(0)
                        + ":"
                        + row.getLong(1)
                        + ":"
                        + row.getLong(2)
                        + ":"
                        + row.getString(3));
              }
              return out;
            });
  }
}
