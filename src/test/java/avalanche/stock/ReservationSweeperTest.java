package avalanche.stock;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.order.OrderIds;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The expiry sweeper against real Redis and PostgreSQL. Two Apps share the servers, so every test
 * runs with two sweepers (two "processes") racing on the same reservations. Reservations last 1 s
 * here; a pass looks at no more than 5 expired reservations. No relay runs (verticles.outboxRelay
 * 0): every reservation is an order that waits in its product's outbox, and the tests decide what
 * the saga recorded by writing the rows themselves.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class ReservationSweeperTest {
  private static final JsonObject OVERRIDES =
      new JsonObject()
          .put("drop", new JsonObject().put("reservationTtlSeconds", 1))
          .put(
              "stock",
              new JsonObject()
                  .put("sweepIntervalMs", 50)
                  .put("pendingRecheckMs", 300)
                  .put("sweepMaxPerTick", 5))
          .put("verticles", new JsonObject().put("outboxRelay", 0));
  private static final long WAIT_MS = 20_000;

  @RegisterExtension static final TestServer server = TestServer.extension(OVERRIDES);
  @RegisterExtension static final TestServer second = TestServer.extension(OVERRIDES);

  @Test
  void keepsAnExpiredReservationWhoseOrderIsStillInTheOutboxUntilTheSagaSettlesIt(
      VertxTestContext test) {
    server
        .createProduct("COMMON", 100, 3)
        .compose(
            productId ->
                server
                    .createUsers(1, 1_000)
                    .compose(
                        users -> {
                          long userId = users.get(0);
                          String orderId = OrderIds.next(productId);
                          String token = server.token(userId);
                          return StockProbe.reserve(server.stock(), productId, userId, orderId)
                              // Twice the reservation's life, dozens of sweeps: the order has no
                              // row, but it is on its way.
                              .compose(outcome -> server.vertx().timer(2_000).map(outcome))
                              .compose(
                                  outcome ->
                                      Future.all(
                                              StockProbe.counters(server.redis(), productId),
                                              server
                                                  .redis()
                                                  .send(
                                                      Request.cmd(Command.ZSCORE)
                                                          .arg(StockKeys.deadlines(productId))
                                                          .arg(orderId)),
                                              server
                                                  .http()
                                                  .get("/api/orders/" + orderId)
                                                  .bearerTokenAuthentication(token)
                                                  .send())
                                          .map(
                                              all -> {
                                                JsonObject c = all.resultAt(0);
                                                Response deadline = all.resultAt(1);
                                                var order =
                                                    all
                                                        .<io.vertx.ext.web.client.HttpResponse<
                                                                io.vertx.core.buffer.Buffer>>
                                                            resultAt(2);
                                                test.verify(
                                                    () -> {
                                                      assertThat(outcome).isEqualTo("RESERVED");
                                                      assertThat(c.getLong("reserved"))
                                                          .as("never released while in the outbox")
                                                          .isEqualTo(1);
                                                      assertThat(c.getLong("available"))
                                                          .isEqualTo(2);
                                                      assertThat(deadline)
                                                          .as("pushed back, to be looked at again")
                                                          .isNotNull();
                                                      assertThat(deadline.toLong())
                                                          .isGreaterThan(
                                                              System.currentTimeMillis() - 1_000);
                                                      assertThat(order.statusCode()).isEqualTo(200);
                                                      assertThat(
                                                              order
                                                                  .bodyAsJsonObject()
                                                                  .getString("status"))
                                                          .isEqualTo("PENDING");
                                                    });
                                                return c;
                                              }))
                              // A relay takes it to Kafka at last; the saga settles it, as it would
                              // any order.
                              .compose(
                                  c ->
                                      avalanche.order.TestRelay.deploy(
                                          server,
                                          List.of(productId),
                                          avalanche.order.TestRelay.settings(server, 10_000)))
                              .compose(
                                  relay ->
                                      // The saga sells the unit in Redis, then marks the row
                                      // COMPLETED: wait for the row, then read the counters.
                                      Eventually.eventually(
                                              server.vertx(),
                                              WAIT_MS,
                                              () ->
                                                  server
                                                      .http()
                                                      .get("/api/orders/" + orderId)
                                                      .bearerTokenAuthentication(token)
                                                      .send(),
                                              order ->
                                                  "COMPLETED"
                                                      .equals(
                                                          order
                                                              .bodyAsJsonObject()
                                                              .getString("status")))
                                          .compose(
                                              order ->
                                                  StockProbe.counters(server.redis(), productId)
                                                      .map(
                                                          c -> {
                                                            test.verify(
                                                                () -> {
                                                                  assertThat(c.getLong("sold"))
                                                                      .isEqualTo(1);
                                                                  assertThat(c.getLong("reserved"))
                                                                      .isZero();
                                                                  assertThat(c.getLong("available"))
                                                                      .isEqualTo(2);
                                                                  assertThat(StockProbe.balanced(c))
                                                                      .isTrue();
                                                                });
                                                            return order;
                                                          }))
                                          .compose(order -> relay.undeploy()));
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void leavesPendingToTheSagaConfirmsCompletedReleasesCancelled(VertxTestContext test) {
    server
        .createProduct("COMMON", 100, 5)
        .compose(
            productId ->
                server
                    .createUsers(2, 1_000)
                    .compose(
                        users -> {
                          String pending = OrderIds.next(productId);
                          String completed = OrderIds.next(productId);
                          return StockProbe.insertOrders(
                                  server.pg(),
                                  productId,
                                  List.of(
                                      new Object[] {pending, users.get(0), "PENDING"},
                                      new Object[] {completed, users.get(1), "COMPLETED"}))
                              // The PENDING order reserves first, so its deadline passes no later
                              // than the COMPLETED one's.
                              .compose(
                                  v ->
                                      StockProbe.reserve(
                                          server.stock(), productId, users.get(0), pending))
                              .compose(
                                  v ->
                                      StockProbe.reserve(
                                          server.stock(), productId, users.get(1), completed))
                              .compose(
                                  v ->
                                      Eventually.eventually(
                                          server.vertx(),
                                          WAIT_MS,
                                          () -> StockProbe.counters(server.redis(), productId),
                                          c -> c.getLong("sold") == 1))
                              // Several sweeps and re-checks of the PENDING one later, it is still
                              // reserved.
                              .compose(c -> server.vertx().timer(1_000))
                              .compose(
                                  t ->
                                      Future.all(
                                          StockProbe.counters(server.redis(), productId),
                                          StockProbe.hash(server.redis(), StockKeys.order(pending)),
                                          StockProbe.hash(
                                              server.redis(), StockKeys.order(completed)),
                                          server
                                              .redis()
                                              .send(
                                                  Request.cmd(Command.ZSCORE)
                                                      .arg(StockKeys.deadlines(productId))
                                                      .arg(pending))))
                              .compose(
                                  all -> {
                                    JsonObject c = all.resultAt(0);
                                    JsonObject pendingHash = all.resultAt(1);
                                    JsonObject completedHash = all.resultAt(2);
                                    Response deadline = all.resultAt(3);
                                    test.verify(
                                        () -> {
                                          assertThat(c.getLong("sold")).isEqualTo(1);
                                          assertThat(c.getLong("reserved")).isEqualTo(1);
                                          assertThat(c.getLong("available")).isEqualTo(3);
                                          assertThat(completedHash.getString("stock"))
                                              .isEqualTo("SOLD");
                                          assertThat(completedHash.getString("status"))
                                              .isEqualTo("COMPLETED");
                                          assertThat(pendingHash.getString("stock"))
                                              .isEqualTo("RESERVED");
                                          assertThat(deadline)
                                              .as("a PENDING order keeps its deadline, pushed back")
                                              .isNotNull();
                                          assertThat(deadline.toLong())
                                              .isGreaterThan(System.currentTimeMillis() - 1_000);
                                        });
                                    // The saga gives up on it: the sweeper now puts the unit back.
                                    return server
                                        .pg()
                                        .preparedQuery(
                                            "UPDATE orders SET status = 'CANCELLED' WHERE id = $1")
                                        .execute(io.vertx.sqlclient.Tuple.of(pending));
                                  })
                              .compose(
                                  v ->
                                      Eventually.eventually(
                                          server.vertx(),
                                          WAIT_MS,
                                          () -> StockProbe.counters(server.redis(), productId),
                                          c -> c.getLong("reserved") == 0))
                              .map(
                                  c -> {
                                    test.verify(
                                        () -> {
                                          assertThat(c.getLong("available")).isEqualTo(4);
                                          assertThat(c.getLong("sold")).isEqualTo(1);
                                          assertThat(StockProbe.balanced(c)).isTrue();
                                        });
                                    return c;
                                  });
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void pendingOrdersAtTheHeadDoNotHoldBackLaterExpiries(VertxTestContext test) {
    // 8 PENDING reservations expire first; a pass looks at 5, so without pushing them back the 4
    // cancelled
    // orders behind them would never have their units back.
    server
        .createProduct("COMMON", 100, 20)
        .compose(
            productId ->
                server
                    .createUsers(12, 1_000)
                    .compose(
                        users -> {
                          List<Object[]> rows = new ArrayList<>();
                          List<String> orderIds = new ArrayList<>();
                          for (int i = 0; i < 12; i++) {
                            orderIds.add(OrderIds.next(productId));
                            rows.add(
                                new Object[] {
                                  orderIds.get(i), users.get(i), i < 8 ? "PENDING" : "CANCELLED"
                                });
                          }
                          Future<String> chain =
                              StockProbe.insertOrders(server.pg(), productId, rows).map("");
                          for (int i = 0; i < 12; i++) {
                            int n = i;
                            chain =
                                chain.compose(
                                    v ->
                                        StockProbe.reserve(
                                            server.stock(),
                                            productId,
                                            users.get(n),
                                            orderIds.get(n)));
                          }
                          return chain
                              .compose(
                                  v ->
                                      Eventually.eventually(
                                          server.vertx(),
                                          WAIT_MS,
                                          () -> StockProbe.counters(server.redis(), productId),
                                          c -> c.getLong("reserved") == 8))
                              .map(
                                  c -> {
                                    test.verify(
                                        () -> {
                                          assertThat(c.getLong("available")).isEqualTo(12);
                                          assertThat(StockProbe.balanced(c)).isTrue();
                                        });
                                    return c;
                                  });
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void twoSweepersSettleAMixOfOrdersExactlyOnce(VertxTestContext test) {
    int users = 30;
    long total = 40;
    AtomicLong maxAvailable = new AtomicLong();
    List<String> unbalanced = new ArrayList<>();
    server
        .createProduct("COMMON", 100, total)
        .compose(
            productId ->
                server
                    .createUsers(users, 1_000)
                    .compose(
                        ids -> {
                          List<String> orderIds = new ArrayList<>();
                          List<Object[]> rows = new ArrayList<>();
                          for (int i = 0; i < users; i++) {
                            orderIds.add(OrderIds.next(productId));
                            String status = status(i);
                            if (status != null) {
                              rows.add(new Object[] {orderIds.get(i), ids.get(i), status});
                            }
                          }
                          long completed =
                              rows.stream().filter(r -> r[2].equals("COMPLETED")).count();
                          long pending = rows.stream().filter(r -> r[2].equals("PENDING")).count();
                          long rowless = users - rows.size();
                          long expectedAvailable = total - completed - pending - rowless;
                          return StockProbe.insertOrders(server.pg(), productId, rows)
                              .compose(
                                  v -> {
                                    List<Future<String>> reservations = new ArrayList<>();
                                    for (int i = 0; i < users; i++) {
                                      TestServer via = i % 2 == 0 ? server : second;
                                      reservations.add(
                                          StockProbe.reserve(
                                              via.stock(), productId, ids.get(i), orderIds.get(i)));
                                    }
                                    return Future.all(reservations);
                                  })
                              .compose(
                                  reserved ->
                                      Eventually.eventually(
                                          server.vertx(),
                                          WAIT_MS,
                                          () ->
                                              StockProbe.counters(server.redis(), productId)
                                                  .map(
                                                      c -> {
                                                        maxAvailable.accumulateAndGet(
                                                            c.getLong("available"), Math::max);
                                                        if (!StockProbe.balanced(c)) {
                                                          unbalanced.add(c.encode());
                                                        }
                                                        return c;
                                                      }),
                                          c ->
                                              c.getLong("sold") == completed
                                                  && c.getLong("available") == expectedAvailable))
                              // Both sweepers keep running over the settled orders and the
                              // pushed-back PENDING ones.
                              .compose(c -> server.vertx().timer(1_500))
                              .compose(
                                  t -> {
                                    List<Future<?>> reads = new ArrayList<>();
                                    reads.add(StockProbe.counters(server.redis(), productId));
                                    reads.add(
                                        StockProbe.hash(
                                            server.redis(), StockKeys.buyers(productId)));
                                    for (String orderId : orderIds) {
                                      reads.add(
                                          StockProbe.hash(
                                              server.redis(), StockKeys.order(orderId)));
                                    }
                                    return Future.all(reads);
                                  })
                              .map(
                                  all -> {
                                    JsonObject c = all.resultAt(0);
                                    JsonObject buyers = all.resultAt(1);
                                    test.verify(
                                        () -> {
                                          assertThat(unbalanced).isEmpty();
                                          assertThat(maxAvailable.get())
                                              .as("no unit was given back twice")
                                              .isEqualTo(expectedAvailable);
                                          assertThat(c.getLong("available"))
                                              .isEqualTo(expectedAvailable);
                                          assertThat(c.getLong("reserved"))
                                              .as("PENDING rows and orders still in the outbox")
                                              .isEqualTo(pending + rowless);
                                          assertThat(c.getLong("sold")).isEqualTo(completed);
                                          assertThat(StockProbe.balanced(c)).isTrue();
                                          for (int i = 0; i < users; i++) {
                                            String status = status(i);
                                            JsonObject order = all.resultAt(i + 2);
                                            String buyer =
                                                buyers.getString(Long.toString(ids.get(i)));
                                            if ("COMPLETED".equals(status)) {
                                              assertThat(order.getString("stock"))
                                                  .isEqualTo("SOLD");
                                              assertThat(buyer).isEqualTo(orderIds.get(i));
                                            } else if ("PENDING".equals(status) || status == null) {
                                              // PENDING: the saga's to settle; no row: the order is
                                              // still in the outbox, on its way.
                                              assertThat(order.getString("stock"))
                                                  .isEqualTo("RESERVED");
                                              assertThat(buyer).isEqualTo(orderIds.get(i));
                                            } else {
                                              assertThat(order.getString("stock"))
                                                  .isEqualTo("RELEASED");
                                              assertThat(order.getString("status"))
                                                  .isEqualTo("CANCELLED");
                                              assertThat(buyer).isNull();
                                            }
                                          }
                                        });
                                    return c;
                                  });
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void dropsADeadlineWhoseOrderHoldsNoUnit(VertxTestContext test) {
    server
        .createProduct("COMMON", 100, 2)
        .compose(
            productId -> {
              String ghost = OrderIds.next(productId);
              return server
                  .redis()
                  .send(
                      Request.cmd(Command.ZADD)
                          .arg(StockKeys.deadlines(productId))
                          .arg(1)
                          .arg(ghost))
                  .compose(
                      v ->
                          Eventually.eventually(
                              server.vertx(),
                              WAIT_MS,
                              () ->
                                  server
                                      .redis()
                                      .send(
                                          Request.cmd(Command.ZCARD)
                                              .arg(StockKeys.deadlines(productId))),
                              card -> card.toInteger() == 0))
                  .compose(v -> StockProbe.counters(server.redis(), productId))
                  .map(
                      c -> {
                        test.verify(
                            () -> {
                              assertThat(c.getLong("available")).isEqualTo(2);
                              assertThat(c.getLong("reserved")).isZero();
                            });
                        return c;
                      });
            })
        .onComplete(test.succeedingThenComplete());
  }

  /**
   * The fate of user i's order: no row (not stored yet: still in the outbox), CANCELLED, COMPLETED
   * or PENDING.
   */
  private static String status(int i) {
    return switch (i % 4) {
      case 0 -> null;
      case 1 -> "CANCELLED";
      case 2 -> "COMPLETED";
      default -> "PENDING";
    };
  }
}
