package avalanche.saga;

import avalanche.Eventually;
import avalanche.TestServer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A coordinator stops while its sagas are in flight; another server on the same Kafka, PostgreSQL and
 * Redis carries them on from the state in PostgreSQL, and every compensation happens exactly once.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class SagaCrashTest {
  // Coordinator only: the commands it sends wait in Kafka until a participant comes.
  @RegisterExtension
  static final TestServer first = TestServer.extension(new JsonObject().put("verticles", new JsonObject()
      .put("stockParticipant", 0).put("point", 0).put("shipping", 0)));

  @Test
  void anotherServerFinishesSagasWhoseCoordinatorStoppedBetweenCommandsAndReplies(VertxTestContext test) {
    SagaTests saga = new SagaTests(first);
    Future.all(first.createProduct("COMMON", 100, 5), first.createUsers(2, 1_000)).compose(setup -> {
      long productId = setup.resultAt(0);
      long good = setup.<List<Long>>resultAt(1).get(0);
      long badAddress = setup.<List<Long>>resultAt(1).get(1);
      return Future.all(saga.reserve(productId, good, SagaTests.ADDRESS), saga.reserve(productId, badAddress, "-"))
          .compose(ids -> {
            String completed = ids.resultAt(0);
            String cancelled = ids.resultAt(1);
            // Both sagas stored, commands out, no reply yet: now the coordinator goes away.
            return Eventually.eventually(first.vertx(), 20_000, () -> stored(completed, cancelled), n -> n == 2)
                .compose(n -> first.vertx().executeBlocking(() -> {
                  first.app().stopSagaCoordinator();
                  return TestServer.start();
                }))
                .compose(second -> {
                  SagaTests other = new SagaTests(second);
                  return Future.all(other.terminal(completed, good, 30_000), other.terminal(cancelled, badAddress, 30_000))
                      .compose(orders -> Future.all(List.of(saga.ledger(completed), saga.ledger(cancelled),
                              saga.points(good), saga.points(badAddress), saga.shipment(completed),
                              saga.shipment(cancelled), saga.stock(productId)))
                          .map(facts -> {
                            test.verify(() -> {
                              assertThat(orders.<JsonObject>resultAt(0).getString("status")).isEqualTo("COMPLETED");
                              JsonObject off = orders.resultAt(1);
                              assertThat(off.getString("status")).isEqualTo("CANCELLED");
                              assertThat(off.getString("failureReason")).isEqualTo("INVALID_ADDRESS");
                              assertThat(off.getJsonObject("compensationStatuses").getMap()).containsOnlyKeys(
                                  "CHECK_STOCK", "APPLY_POINTS");
                              assertThat(facts.<java.util.Map<String, Long>>resultAt(0)).containsEntry("rows", 1L);
                              assertThat(facts.<java.util.Map<String, Long>>resultAt(1))
                                  .containsEntry("DEDUCT", -100L).containsEntry("REFUND", 100L).containsEntry("rows", 2L);
                              assertThat(facts.<Long>resultAt(2)).isEqualTo(900);
                              assertThat(facts.<Long>resultAt(3)).isEqualTo(1_000);
                              assertThat(facts.<String>resultAt(4)).isEqualTo("REGISTERED");
                              assertThat(facts.<String>resultAt(5)).isNull();
                              JsonObject stock = facts.resultAt(6);
                              assertThat(stock.getLong("available")).isEqualTo(4);
                              assertThat(stock.getLong("reserved")).isEqualTo(0);
                              assertThat(stock.getLong("sold")).isEqualTo(1);
                            });
                            return facts;
                          }))
                      .eventually(() -> first.vertx().executeBlocking(() -> {
                        second.close();
                        return null;
                      }));
                });
          });
    }).onComplete(test.succeedingThenComplete());
  }

  @Test
  void aCoordinatorStoppedInTheMiddleOfABurstLosesNothingAndRepeatsNothing(VertxTestContext test) {
    int buyers = 40;
    // Two full servers share the work; the first one's coordinator stops after the first orders settle.
    first.vertx().executeBlocking(() -> TestServer.start()).compose(second -> {
      SagaTests saga = new SagaTests(second);
      return Future.all(second.createProduct("COMMON", 100, buyers), second.createUsers(buyers, 1_000)).compose(setup -> {
        long productId = setup.resultAt(0);
        List<Long> users = setup.resultAt(1);
        List<Future<String>> orders = new ArrayList<>();
        for (int i = 0; i < buyers; i++) {
          // Every other buyer gives an unusable address, so half the sagas compensate.
          orders.add(saga.reserve(productId, users.get(i), i % 2 == 0 ? SagaTests.ADDRESS : "  "));
        }
        return Future.all(orders)
            .compose(all -> Eventually.eventually(first.vertx(), 30_000, () -> settled(productId), n -> n >= 4))
            .compose(n -> first.vertx().executeBlocking(() -> {
              first.app().stopSagaCoordinator();
              return null;
            }))
            .compose(stopped -> {
              List<Future<JsonObject>> terminal = new ArrayList<>();
              for (int i = 0; i < buyers; i++) {
                terminal.add(saga.terminal(orders.get(i).result(), users.get(i), 60_000));
              }
              return Future.all(terminal);
            })
            .compose(all -> Future.all(perOrderFacts(productId), saga.stock(productId), saga.completedOrders(productId)))
            .map(facts -> {
              test.verify(() -> {
                List<String> rows = facts.resultAt(0);
                assertThat(rows).hasSize(buyers);
                // status:deducts:refunds:shipment — completed paid once; cancelled paid once and refunded once.
                assertThat(rows.stream().filter(r -> r.equals("COMPLETED:1:0:REGISTERED")).count()).isEqualTo(buyers / 2);
                assertThat(rows.stream().filter(r -> r.equals("CANCELLED:1:1:none")).count()).isEqualTo(buyers / 2);
                JsonObject stock = facts.resultAt(1);
                assertThat(stock.getLong("sold")).isEqualTo(buyers / 2).isEqualTo(facts.<Long>resultAt(2));
                assertThat(stock.getLong("reserved")).isEqualTo(0);
                assertThat(stock.getLong("available") + stock.getLong("reserved") + stock.getLong("sold"))
                    .isEqualTo(stock.getLong("total"));
              });
              return facts;
            });
      }).eventually(() -> first.vertx().executeBlocking(() -> {
        second.close();
        return null;
      }));
    }).onComplete(test.succeedingThenComplete());
  }

  private static Future<Integer> stored(String... orderIds) {
    return first.pg().preparedQuery("SELECT count(*) FROM orders WHERE id = ANY($1)").execute(Tuple.of((Object) orderIds))
        .map(rows -> rows.iterator().next().getInteger(0));
  }

  private static Future<Long> settled(long productId) {
    return first.pg().preparedQuery("SELECT count(*) FROM orders WHERE product_id = $1 AND status <> 'PENDING'")
        .execute(Tuple.of(productId)).map(rows -> rows.iterator().next().getLong(0));
  }

  private static Future<List<String>> perOrderFacts(long productId) {
    return first.pg().preparedQuery("""
            SELECT o.status,
                   (SELECT count(*) FROM point_ledger l WHERE l.order_id = o.id AND l.kind = 'DEDUCT') AS deducts,
                   (SELECT count(*) FROM point_ledger l WHERE l.order_id = o.id AND l.kind = 'REFUND') AS refunds,
                   coalesce((SELECT s.status FROM shipments s WHERE s.order_id = o.id), 'none') AS shipment
              FROM orders o WHERE o.product_id = $1""")
        .execute(Tuple.of(productId))
        .map(rows -> {
          List<String> out = new ArrayList<>();
          for (Row row : rows) {
            out.add(row.getString(0) + ":" + row.getLong(1) + ":" + row.getLong(2) + ":" + row.getString(3));
          }
          return out;
        });
  }
}
