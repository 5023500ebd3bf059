package avalanche.saga;

import avalanche.TestServer;
import avalanche.user.PiiCipher;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The saga end to end over HTTP, Kafka, PostgreSQL and Redis: the happy path and each failure. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class SagaFlowTest {
  @RegisterExtension
  static final TestServer server = TestServer.extension();
  private static final SagaTests saga = new SagaTests(server);
  private static final PiiCipher CIPHER = new PiiCipher(PiiCipher.parseKey(TestServer.PII_KEY));

  @Test
  void allStepsSucceedSoTheOrderCompletesAndTheUnitIsSold(VertxTestContext test) {
    Future.all(server.createProduct("COMMON", 100, 5), server.createUsers(1, 1_000)).compose(setup -> {
      long productId = setup.resultAt(0);
      long userId = setup.<java.util.List<Long>>resultAt(1).get(0);
      return saga.reserve(productId, userId, SagaTests.ADDRESS)
          .compose(orderId -> saga.order(orderId, userId).compose(first -> saga.terminal(orderId, userId, 20_000)
              .compose(order -> Future.all(saga.points(userId), saga.ledger(orderId), saga.shipment(orderId),
                      saga.stock(productId), saga.completedOrders(productId), sealedAddress(orderId))
                  .map(facts -> {
                    test.verify(() -> {
                      assertThat(first.getString("orderId")).isEqualTo(orderId);
                      assertThat(first.fieldNames()).contains("status", "commandStatuses", "compensationStatuses",
                          "failureReason", "createdAt", "updatedAt", "price", "productId");
                      assertThat(order.getString("status")).isEqualTo("COMPLETED");
                      assertThat(order.getJsonObject("commandStatuses").getMap()).containsOnly(
                          java.util.Map.entry("CHECK_STOCK", "SUCCESS"), java.util.Map.entry("APPLY_POINTS", "SUCCESS"),
                          java.util.Map.entry("PREPARE_SHIPPING", "SUCCESS"));
                      assertThat(order.getJsonObject("compensationStatuses").isEmpty()).isTrue();
                      assertThat(order.getValue("failureReason")).isNull();
                      assertThat(order.getLong("price")).isEqualTo(100);
                      assertThat(facts.<Long>resultAt(0)).isEqualTo(900);
                      assertThat(facts.<java.util.Map<String, Long>>resultAt(1))
                          .containsEntry("DEDUCT", -100L).containsEntry("rows", 1L);
                      assertThat(facts.<String>resultAt(2)).isEqualTo("REGISTERED");
                      JsonObject stock = facts.resultAt(3);
                      assertThat(stock.getLong("available")).isEqualTo(4);
                      assertThat(stock.getLong("reserved")).isEqualTo(0);
                      assertThat(stock.getLong("sold")).isEqualTo(1);
                      assertThat(facts.<Long>resultAt(4)).isEqualTo(1);
                      byte[] sealed = facts.resultAt(5);
                      assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("Avalanche Road");
                      assertThat(CIPHER.decrypt("shippingAddress", sealed)).isEqualTo(SagaTests.ADDRESS);
                    });
                    return facts;
                  }))));
    }).onComplete(test.succeedingThenComplete());
  }

  @Test
  void insufficientPointsCancelsAndUndoesTheOtherStepsThenTheUserMayBuyAgain(VertxTestContext test) {
    Future.all(server.createProduct("COMMON", 100, 5), server.createUsers(1, 50)).compose(setup -> {
      long productId = setup.resultAt(0);
      long userId = setup.<java.util.List<Long>>resultAt(1).get(0);
      return saga.reserve(productId, userId, SagaTests.ADDRESS)
          .compose(orderId -> saga.terminal(orderId, userId, 20_000)
              .compose(order -> Future.all(saga.points(userId), saga.ledger(orderId), saga.shipment(orderId),
                      saga.stock(productId))
                  .map(facts -> {
                    test.verify(() -> {
                      assertThat(order.getString("status")).isEqualTo("CANCELLED");
                      assertThat(order.getString("failureReason")).isEqualTo("INSUFFICIENT_POINTS");
                      assertThat(order.getJsonObject("commandStatuses").getMap()).containsOnly(
                          java.util.Map.entry("CHECK_STOCK", "SUCCESS"), java.util.Map.entry("APPLY_POINTS", "FAILED"),
                          java.util.Map.entry("PREPARE_SHIPPING", "SUCCESS"));
                      assertThat(order.getJsonObject("compensationStatuses").getMap()).containsOnly(
                          java.util.Map.entry("CHECK_STOCK", "SUCCESS"), java.util.Map.entry("PREPARE_SHIPPING", "SUCCESS"));
                      assertThat(facts.<Long>resultAt(0)).isEqualTo(50);
                      assertThat(facts.<java.util.Map<String, Long>>resultAt(1)).containsEntry("rows", 0L);
                      assertThat(facts.<String>resultAt(2)).isEqualTo("CANCELLED");
                      JsonObject stock = facts.resultAt(3);
                      assertThat(stock.getLong("available")).isEqualTo(5);
                      assertThat(stock.getLong("reserved")).isEqualTo(0);
                      assertThat(stock.getLong("sold")).isEqualTo(0);
                    });
                    return order;
                  }))
              // The cancelled order gave the attempt back: with enough points the same user now buys.
              .compose(cancelled -> grant(userId, 100))
              .compose(granted -> saga.reserve(productId, userId, SagaTests.ADDRESS))
              .compose(again -> saga.terminal(again, userId, 20_000))
              .compose(again -> saga.points(userId).map(points -> {
                test.verify(() -> {
                  assertThat(again.getString("status")).isEqualTo("COMPLETED");
                  assertThat(points).isEqualTo(50);
                });
                return again;
              })));
    }).onComplete(test.succeedingThenComplete());
  }

  @Test
  void anUnusableAddressCancelsAndRefundsThePoints(VertxTestContext test) {
    Future.all(server.createProduct("COMMON", 100, 5), server.createUsers(1, 1_000)).compose(setup -> {
      long productId = setup.resultAt(0);
      long userId = setup.<java.util.List<Long>>resultAt(1).get(0);
      return saga.reserve(productId, userId, "   x  ")
          .compose(orderId -> saga.terminal(orderId, userId, 20_000)
              .compose(order -> Future.all(saga.points(userId), saga.ledger(orderId), saga.shipment(orderId),
                      saga.stock(productId))
                  .map(facts -> {
                    test.verify(() -> {
                      assertThat(order.getString("status")).isEqualTo("CANCELLED");
                      assertThat(order.getString("failureReason")).isEqualTo("INVALID_ADDRESS");
                      assertThat(order.getJsonObject("commandStatuses").getMap()).containsOnly(
                          java.util.Map.entry("CHECK_STOCK", "SUCCESS"), java.util.Map.entry("APPLY_POINTS", "SUCCESS"),
                          java.util.Map.entry("PREPARE_SHIPPING", "FAILED"));
                      assertThat(order.getJsonObject("compensationStatuses").getMap()).containsOnly(
                          java.util.Map.entry("CHECK_STOCK", "SUCCESS"), java.util.Map.entry("APPLY_POINTS", "SUCCESS"));
                      assertThat(facts.<Long>resultAt(0)).isEqualTo(1_000);
                      assertThat(facts.<java.util.Map<String, Long>>resultAt(1))
                          .containsEntry("DEDUCT", -100L).containsEntry("REFUND", 100L).containsEntry("rows", 2L);
                      assertThat(facts.<String>resultAt(2)).isNull();
                      JsonObject stock = facts.resultAt(3);
                      assertThat(stock.getLong("available")).isEqualTo(5);
                      assertThat(stock.getLong("reserved")).isEqualTo(0);
                    });
                    return order;
                  })));
    }).onComplete(test.succeedingThenComplete());
  }

  @Test
  void withoutAnAddressTheStoredOneIsUsedAndWithNeitherTheOrderIsCancelled(VertxTestContext test) {
    String stored = "22 Stored Street, Archive City";
    Future.all(server.createProduct("COMMON", 10, 5), server.createUsers(2, 100)).compose(setup -> {
      long productId = setup.resultAt(0);
      long withAddress = setup.<java.util.List<Long>>resultAt(1).get(0);
      long without = setup.<java.util.List<Long>>resultAt(1).get(1);
      return server.pg().preparedQuery("UPDATE users SET address_enc = $2 WHERE id = $1")
          .execute(Tuple.of(withAddress, Buffer.buffer(CIPHER.encrypt("address", stored))))
          .compose(v -> Future.all(saga.reserve(productId, withAddress, null), saga.reserve(productId, without, null)))
          .compose(ids -> Future.all(saga.terminal(ids.resultAt(0), withAddress, 20_000),
                  saga.terminal(ids.resultAt(1), without, 20_000))
              .compose(orders -> sealedAddress(ids.resultAt(0)).map(sealed -> {
                test.verify(() -> {
                  assertThat(orders.<JsonObject>resultAt(0).getString("status")).isEqualTo("COMPLETED");
                  assertThat(CIPHER.decrypt("shippingAddress", sealed)).isEqualTo(stored);
                  JsonObject cancelled = orders.resultAt(1);
                  assertThat(cancelled.getString("status")).isEqualTo("CANCELLED");
                  assertThat(cancelled.getString("failureReason")).isEqualTo("INVALID_ADDRESS");
                });
                return sealed;
              })));
    }).onComplete(test.succeedingThenComplete());
  }

  @Test
  void adminPointsGoThroughTheLedgerAndNeverBelowZero(VertxTestContext test) {
    server.createUsers(1, 40).compose(users -> {
      long userId = users.get(0);
      return grantResponse(userId, new JsonObject().put("amount", 250))
          .compose(added -> grantResponse(userId, new JsonObject().put("amount", -1_000))
              .compose(emptied -> grantResponse(userId, new JsonObject().put("amount", 0))
                  .compose(zero -> Future.all(
                          grantResponse(999_999_999L, new JsonObject().put("amount", 5)),
                          grantResponse(userId, new JsonObject().put("amount", "ten")),
                          grantResponse(userId, new JsonObject()),
                          server.http().post("/api/admin/users/" + userId + "/points")
                              .bearerTokenAuthentication(server.token(userId)).sendJsonObject(new JsonObject().put("amount", 5)),
                          server.pg().preparedQuery("SELECT coalesce(sum(amount), 0), count(*) FROM point_ledger WHERE user_id = $1")
                              .execute(Tuple.of(userId)),
                          saga.points(userId))
                      .map(all -> {
                        test.verify(() -> {
                          assertThat(added.statusCode()).isEqualTo(200);
                          assertThat(added.bodyAsJsonObject().getString("userId")).isEqualTo(Long.toString(userId));
                          assertThat(added.bodyAsJsonObject().getLong("points")).isEqualTo(290);
                          assertThat(emptied.statusCode()).isEqualTo(200);
                          assertThat(emptied.bodyAsJsonObject().getLong("points")).isEqualTo(0);
                          assertThat(zero.bodyAsJsonObject().getLong("points")).isEqualTo(0);
                          assertThat(all.<io.vertx.ext.web.client.HttpResponse<Buffer>>resultAt(0).statusCode()).isEqualTo(404);
                          assertThat(all.<io.vertx.ext.web.client.HttpResponse<Buffer>>resultAt(1).statusCode()).isEqualTo(400);
                          assertThat(all.<io.vertx.ext.web.client.HttpResponse<Buffer>>resultAt(2).statusCode()).isEqualTo(400);
                          assertThat(all.<io.vertx.ext.web.client.HttpResponse<Buffer>>resultAt(3).statusCode()).isEqualTo(403);
                          io.vertx.sqlclient.Row ledger = all.<io.vertx.sqlclient.RowSet<io.vertx.sqlclient.Row>>resultAt(4)
                              .iterator().next();
                          // start + granted == points: 40 + 250 - 290 == 0, in two GRANT rows (the 0 adds none).
                          assertThat(40 + ledger.getLong(0)).isEqualTo(all.<Long>resultAt(5)).isEqualTo(0);
                          assertThat(ledger.getLong(1)).isEqualTo(2);
                        });
                        return all;
                      }))));
    }).onComplete(test.succeedingThenComplete());
  }

  @Test
  void theOrderListPagesNewestFirstWithTheTotal(VertxTestContext test) {
    Future.all(server.createProduct("COMMON", 1, 5), server.createProduct("COMMON", 1, 5),
        server.createProduct("COMMON", 1, 5), server.createUsers(1, 100)).compose(setup -> {
      long userId = setup.<java.util.List<Long>>resultAt(3).get(0);
      return saga.reserve(setup.resultAt(0), userId, SagaTests.ADDRESS)
          .compose(a -> saga.reserve(setup.resultAt(1), userId, SagaTests.ADDRESS)
              .compose(b -> saga.reserve(setup.resultAt(2), userId, SagaTests.ADDRESS)
                  .compose(c -> saga.terminal(c, userId, 20_000).compose(done -> saga.terminal(a, userId, 20_000))
                      .compose(done -> server.http().get("/api/orders?page=0&size=2")
                          .bearerTokenAuthentication(server.token(userId)).send())
                      .compose(first -> server.http().get("/api/orders?page=1&size=2")
                          .bearerTokenAuthentication(server.token(userId)).send()
                          .map(second -> {
                            test.verify(() -> {
                              JsonObject page0 = first.bodyAsJsonObject();
                              assertThat(page0.getLong("total")).isEqualTo(3);
                              assertThat(page0.getJsonArray("items").stream()
                                  .map(o -> ((JsonObject) o).getString("orderId")).toList()).containsExactly(c, b);
                              assertThat(second.bodyAsJsonObject().getJsonArray("items").getJsonObject(0)
                                  .getString("orderId")).isEqualTo(a);
                              assertThat(second.bodyAsJsonObject().getJsonArray("items").getJsonObject(0)
                                  .getString("status")).isEqualTo("COMPLETED");
                            });
                            return second;
                          })))));
    }).onComplete(test.succeedingThenComplete());
  }

  private static Future<byte[]> sealedAddress(String orderId) {
    return server.pg().preparedQuery("SELECT address_enc FROM shipments WHERE order_id = $1").execute(Tuple.of(orderId))
        .map(rows -> rows.iterator().next().getBuffer(0).getBytes());
  }

  private static Future<io.vertx.ext.web.client.HttpResponse<Buffer>> grantResponse(long userId, JsonObject body) {
    return server.adminToken().compose(token -> server.http().post("/api/admin/users/" + userId + "/points")
        .bearerTokenAuthentication(token).sendJsonObject(body));
  }

  private static Future<Long> grant(long userId, long amount) {
    return grantResponse(userId, new JsonObject().put("amount", amount)).map(response -> {
      if (response.statusCode() != 200) {
        throw new IllegalStateException("grant: " + response.statusCode() + " " + response.bodyAsString());
      }
      return response.bodyAsJsonObject().getLong("points");
    });
  }
}
