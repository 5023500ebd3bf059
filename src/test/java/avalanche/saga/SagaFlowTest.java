package avalanche.saga;

import static avalanche.App.await;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import avalanche.user.PiiCipher;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The saga end to end over HTTP, Kafka, PostgreSQL and Redis: the happy path and each failure. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class SagaFlowTest {
  @RegisterExtension static final TestServer server = TestServer.extension();
  private static final SagaTests saga = new SagaTests(server);
  private static final PiiCipher CIPHER = new PiiCipher(PiiCipher.parseKey(TestServer.PII_KEY));

  @Test
  void allStepsSucceedSoTheOrderCompletesAndTheUnitIsSold() {
    long productId = await(server.createProduct("COMMON", 100, 5));
    long userId = await(server.createUsers(1, 1_000)).get(0);

    String orderId = await(saga.reserve(productId, userId, SagaTests.ADDRESS));
    JsonObject first = await(saga.order(orderId, userId));
    JsonObject order = await(saga.terminal(orderId, userId, 20_000));
    SagaTests.Facts facts = await(saga.facts(orderId, userId, productId));
    byte[] sealed = await(sealedAddress(orderId));

    assertThat(first.getString("orderId")).as("readable at once after the 202").isEqualTo(orderId);
    assertThat(first.fieldNames())
        .contains(
            "status",
            "commandStatuses",
            "compensationStatuses",
            "failureReason",
            "createdAt",
            "updatedAt",
            "price",
            "productId");
    assertThat(order.getString("status")).isEqualTo("COMPLETED");
    assertThat(order.getJsonObject("commandStatuses").getMap())
        .containsOnly(
            Map.entry("CHECK_STOCK", "SUCCESS"),
            Map.entry("APPLY_POINTS", "SUCCESS"),
            Map.entry("PREPARE_SHIPPING", "SUCCESS"));
    assertThat(order.getJsonObject("compensationStatuses").isEmpty()).isTrue();
    assertThat(order.getValue("failureReason")).isNull();
    assertThat(order.getLong("price")).isEqualTo(100);
    assertThat(facts.points()).isEqualTo(900);
    assertThat(facts.ledger()).containsEntry("DEDUCT", -100L).containsEntry("rows", 1L);
    assertThat(facts.shipment()).isEqualTo("REGISTERED");
    assertThat(facts.stock().getLong("available")).isEqualTo(4);
    assertThat(facts.stock().getLong("reserved")).isEqualTo(0);
    assertThat(facts.stock().getLong("sold")).isEqualTo(1);
    assertThat(facts.completedOrders()).isEqualTo(1);
    assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("Avalanche Road");
    assertThat(CIPHER.decrypt("shippingAddress", sealed)).isEqualTo(SagaTests.ADDRESS);
  }

  @Test
  void insufficientPointsCancelsAndUndoesTheOtherStepsThenTheUserMayBuyAgain() {
    long productId = await(server.createProduct("COMMON", 100, 5));
    long userId = await(server.createUsers(1, 50)).get(0);

    String orderId = await(saga.reserve(productId, userId, SagaTests.ADDRESS));
    JsonObject order = await(saga.terminal(orderId, userId, 20_000));
    SagaTests.Facts facts = await(saga.facts(orderId, userId, productId));

    assertThat(order.getString("status")).isEqualTo("CANCELLED");
    assertThat(order.getString("failureReason")).isEqualTo("INSUFFICIENT_POINTS");
    assertThat(order.getJsonObject("commandStatuses").getMap())
        .containsOnly(
            Map.entry("CHECK_STOCK", "SUCCESS"),
            Map.entry("APPLY_POINTS", "FAILED"),
            Map.entry("PREPARE_SHIPPING", "SUCCESS"));
    assertThat(order.getJsonObject("compensationStatuses").getMap())
        .containsOnly(
            Map.entry("CHECK_STOCK", "SUCCESS"), Map.entry("PREPARE_SHIPPING", "SUCCESS"));
    assertThat(facts.points()).isEqualTo(50);
    assertThat(facts.ledger()).containsEntry("rows", 0L);
    assertThat(facts.shipment()).isEqualTo("CANCELLED");
    assertThat(facts.stock().getLong("available")).isEqualTo(5);
    assertThat(facts.stock().getLong("reserved")).isEqualTo(0);
    assertThat(facts.stock().getLong("sold")).isEqualTo(0);

    // The cancelled order gave the attempt back: with enough points the same user now buys.
    await(grant(userId, 100));
    String again = await(saga.reserve(productId, userId, SagaTests.ADDRESS));
    assertThat(await(saga.terminal(again, userId, 20_000)).getString("status"))
        .isEqualTo("COMPLETED");
    assertThat(await(saga.points(userId))).isEqualTo(50);
  }

  @Test
  void anUnusableAddressCancelsAndRefundsThePoints() {
    long productId = await(server.createProduct("COMMON", 100, 5));
    long userId = await(server.createUsers(1, 1_000)).get(0);

    String orderId = await(saga.reserve(productId, userId, "   x  "));
    JsonObject order = await(saga.terminal(orderId, userId, 20_000));
    SagaTests.Facts facts = await(saga.facts(orderId, userId, productId));

    assertThat(order.getString("status")).isEqualTo("CANCELLED");
    assertThat(order.getString("failureReason")).isEqualTo("INVALID_ADDRESS");
    assertThat(order.getJsonObject("commandStatuses").getMap())
        .containsOnly(
            Map.entry("CHECK_STOCK", "SUCCESS"),
            Map.entry("APPLY_POINTS", "SUCCESS"),
            Map.entry("PREPARE_SHIPPING", "FAILED"));
    assertThat(order.getJsonObject("compensationStatuses").getMap())
        .containsOnly(Map.entry("CHECK_STOCK", "SUCCESS"), Map.entry("APPLY_POINTS", "SUCCESS"));
    assertThat(facts.points()).isEqualTo(1_000);
    assertThat(facts.ledger())
        .containsEntry("DEDUCT", -100L)
        .containsEntry("REFUND", 100L)
        .containsEntry("rows", 2L);
    assertThat(facts.shipment()).isNull();
    assertThat(facts.stock().getLong("available")).isEqualTo(5);
    assertThat(facts.stock().getLong("reserved")).isEqualTo(0);
  }

  @Test
  void withoutAnAddressTheStoredOneIsUsedAndWithNeitherTheOrderIsCancelled() {
    String stored = "22 Stored Street, Archive City";
    long productId = await(server.createProduct("COMMON", 10, 5));
    List<Long> users = await(server.createUsers(2, 100));
    long withAddress = users.get(0);
    long without = users.get(1);
    await(
        server
            .pg()
            .preparedQuery("UPDATE users SET address_enc = $2 WHERE id = $1")
            .execute(Tuple.of(withAddress, Buffer.buffer(CIPHER.encrypt("address", stored)))));

    String shipped = await(saga.reserve(productId, withAddress, null));
    String refused = await(saga.reserve(productId, without, null));

    assertThat(await(saga.terminal(shipped, withAddress, 20_000)).getString("status"))
        .isEqualTo("COMPLETED");
    assertThat(CIPHER.decrypt("shippingAddress", await(sealedAddress(shipped)))).isEqualTo(stored);
    JsonObject cancelled = await(saga.terminal(refused, without, 20_000));
    assertThat(cancelled.getString("status")).isEqualTo("CANCELLED");
    assertThat(cancelled.getString("failureReason")).isEqualTo("INVALID_ADDRESS");
  }

  @Test
  void adminPointsGoThroughTheLedgerAndNeverBelowZero(VertxTestContext test) {
    server
        .createUsers(1, 40)
        .compose(
            users -> {
              long userId = users.get(0);
              return grantResponse(userId, new JsonObject().put("amount", 250))
                  .compose(
                      added ->
                          grantResponse(userId, new JsonObject().put("amount", -1_000))
                              .compose(
                                  emptied ->
                                      grantResponse(userId, new JsonObject().put("amount", 0))
                                          .compose(
                                              zero ->
                                                  Future.all(
                                                          grantResponse(
                                                              999_999_999L,
                                                              new JsonObject().put("amount", 5)),
                                                          grantResponse(
                                                              userId,
                                                              new JsonObject()
                                                                  .put("amount", "ten")),
                                                          grantResponse(userId, new JsonObject()),
                                                          server
                                                              .http()
                                                              .post(
                                                                  "/api/admin/users/"
                                                                      + userId
                                                                      + "/points")
                                                              .bearerTokenAuthentication(
                                                                  server.token(userId))
                                                              .sendJsonObject(
                                                                  new JsonObject()
                                                                      .put("amount", 5)),
                                                          server
                                                              .pg()
                                                              .preparedQuery(
                                                                  "SELECT coalesce(sum(amount), 0), count(*) FROM point_ledger WHERE user_id = $1")
                                                              .execute(Tuple.of(userId)),
                                                          saga.points(userId))
                                                      .map(
                                                          all -> {
                                                            test.verify(
                                                                () -> {
                                                                  assertThat(added.statusCode())
                                                                      .isEqualTo(200);
                                                                  assertThat(
                                                                          added
                                                                              .bodyAsJsonObject()
                                                                              .getString("userId"))
                                                                      .isEqualTo(
                                                                          Long.toString(userId));
                                                                  assertThat(
                                                                          added
                                                                              .bodyAsJsonObject()
                                                                              .getLong("points"))
                                                                      .isEqualTo(290);
                                                                  assertThat(emptied.statusCode())
                                                                      .isEqualTo(200);
                                                                  assertThat(
                                                                          emptied
                                                                              .bodyAsJsonObject()
                                                                              .getLong("points"))
                                                                      .isEqualTo(0);
                                                                  assertThat(
                                                                          zero.bodyAsJsonObject()
                                                                              .getLong("points"))
                                                                      .isEqualTo(0);
                                                                  assertThat(
                                                                          all.<io.vertx.ext.web
                                                                                          .client
                                                                                          .HttpResponse<
                                                                                      Buffer>>
                                                                                  resultAt(0)
                                                                              .statusCode())
                                                                      .isEqualTo(404);
                                                                  assertThat(
                                                                          all.<io.vertx.ext.web
                                                                                          .client
                                                                                          .HttpResponse<
                                                                                      Buffer>>
                                                                                  resultAt(1)
                                                                              .statusCode())
                                                                      .isEqualTo(400);
                                                                  assertThat(
                                                                          all.<io.vertx.ext.web
                                                                                          .client
                                                                                          .HttpResponse<
                                                                                      Buffer>>
                                                                                  resultAt(2)
                                                                              .statusCode())
                                                                      .isEqualTo(400);
                                                                  assertThat(
                                                                          all.<io.vertx.ext.web
                                                                                          .client
                                                                                          .HttpResponse<
                                                                                      Buffer>>
                                                                                  resultAt(3)
                                                                              .statusCode())
                                                                      .isEqualTo(403);
                                                                  io.vertx.sqlclient.Row ledger =
                                                                      all.<io.vertx.sqlclient
                                                                                      .RowSet<
                                                                                  io.vertx.sqlclient
                                                                                      .Row>>
                                                                              resultAt(4)
                                                                          .iterator()
                                                                          .next();
                                                                  // start + granted == points: 40 +
                                                                  // 250 - 290 == 0, in two GRANT
                                                                  // rows (the 0 adds none).
                                                                  assertThat(40 + ledger.getLong(0))
                                                                      .isEqualTo(
                                                                          all.<Long>resultAt(5))
                                                                      .isEqualTo(0);
                                                                  assertThat(ledger.getLong(1))
                                                                      .isEqualTo(2);
                                                                });
                                                            return all;
                                                          }))));
            })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void theOrderListPagesNewestFirstWithTheTotal(VertxTestContext test) {
    Future.all(
            server.createProduct("COMMON", 1, 5),
            server.createProduct("COMMON", 1, 5),
            server.createProduct("COMMON", 1, 5),
            server.createUsers(1, 100))
        .compose(
            setup -> {
              long userId = setup.<java.util.List<Long>>resultAt(3).get(0);
              return saga.reserve(setup.resultAt(0), userId, SagaTests.ADDRESS)
                  .compose(
                      a ->
                          saga.reserve(setup.resultAt(1), userId, SagaTests.ADDRESS)
                              .compose(
                                  b ->
                                      saga.reserve(setup.resultAt(2), userId, SagaTests.ADDRESS)
                                          .compose(
                                              c ->
                                                  saga.terminal(c, userId, 20_000)
                                                      .compose(
                                                          done -> saga.terminal(a, userId, 20_000))
                                                      .compose(
                                                          done ->
                                                              server
                                                                  .http()
                                                                  .get("/api/orders?page=0&size=2")
                                                                  .bearerTokenAuthentication(
                                                                      server.token(userId))
                                                                  .send())
                                                      .compose(
                                                          first ->
                                                              server
                                                                  .http()
                                                                  .get("/api/orders?page=1&size=2")
                                                                  .bearerTokenAuthentication(
                                                                      server.token(userId))
                                                                  .send()
                                                                  .map(
                                                                      second -> {
                                                                        test.verify(
                                                                            () -> {
                                                                              JsonObject page0 =
                                                                                  first
                                                                                      .bodyAsJsonObject();
                                                                              assertThat(
                                                                                      page0.getLong(
                                                                                          "total"))
                                                                                  .isEqualTo(3);
                                                                              assertThat(
                                                                                      page0
                                                                                          .getJsonArray(
                                                                                              "items")
                                                                                          .stream()
                                                                                          .map(
                                                                                              o ->
                                                                                                  ((JsonObject)
                                                                                                          o)
                                                                                                      .getString(
                                                                                                          "orderId"))
                                                                                          .toList())
                                                                                  .containsExactly(
                                                                                      c, b);
                                                                              assertThat(
                                                                                      second
                                                                                          .bodyAsJsonObject()
                                                                                          .getJsonArray(
                                                                                              "items")
                                                                                          .getJsonObject(
                                                                                              0)
                                                                                          .getString(
                                                                                              "orderId"))
                                                                                  .isEqualTo(a);
                                                                              assertThat(
                                                                                      second
                                                                                          .bodyAsJsonObject()
                                                                                          .getJsonArray(
                                                                                              "items")
                                                                                          .getJsonObject(
                                                                                              0)
                                                                                          .getString(
                                                                                              "status"))
                                                                                  .isEqualTo(
                                                                                      "COMPLETED");
                                                                            });
                                                                        return second;
                                                                      })))));
            })
        .onComplete(test.succeedingThenComplete());
  }

  private static Future<byte[]> sealedAddress(String orderId) {
    return server
        .pg()
        .preparedQuery("SELECT address_enc FROM shipments WHERE order_id = $1")
        .execute(Tuple.of(orderId))
        .map(rows -> rows.iterator().next().getBuffer(0).getBytes());
  }

  private static Future<io.vertx.ext.web.client.HttpResponse<Buffer>> grantResponse(
      long userId, JsonObject body) {
    return server
        .adminToken()
        .compose(
            token ->
                server
                    .http()
                    .post("/api/admin/users/" + userId + "/points")
                    .bearerTokenAuthentication(token)
                    .sendJsonObject(body));
  }

  private static Future<Long> grant(long userId, long amount) {
    return grantResponse(userId, new JsonObject().put("amount", amount))
        .map(
            response -> {
              if (response.statusCode() != 200) {
                throw new IllegalStateException(
                    "grant: " + response.statusCode() + " " + response.bodyAsString());
              }
              return response.bodyAsJsonObject().getLong("points");
            });
  }
}
