package avalanche.saga;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.stock.StockKeys;
import avalanche.stock.StockProbe;
import avalanche.verticles.SagaCoordinatorVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Redis loses its data while an order answered 202 still waits in {@code order.requested} (the
 * coordinator is away, so it has no PostgreSQL row). The repair rebuilds the product from
 * PostgreSQL, which cannot count that order, and holds the product: other shoppers hear 503 instead
 * of taking the unit the order is owed. Once the saga took the order up it gets its unit, completes
 * (never OUT_OF_STOCK), and the product sells again. Redis is shared by the test JVM, so the loss
 * is the deletion of this product's keys (its outbox stream and the relay's group with it: the
 * relay creates the group again when it next reads). (An order still in the outbox when Redis loses
 * its data is lost with it: a 202 is as durable as Redis.)
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class RedisDataLossTest {
  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject().put("stock", new JsonObject().put("repairIntervalMs", 200)));

  private static final SagaTests saga = new SagaTests(server);

  @Test
  void anOrderStillInKafkaWhenRedisLostItsDataCompletesAndTheProductWaitsForIt(
      VertxTestContext test) {
    Future.all(server.createProduct("COMMON", 100, 3), server.createUsers(3, 1_000))
        .compose(
            setup -> {
              long productId = setup.resultAt(0);
              List<Long> users = setup.resultAt(1);
              // stopSagaCoordinator waits for the undeploy: not on an event loop.
              return server
                  .vertx()
                  .executeBlocking(
                      () -> {
                        server.app().stopSagaCoordinator();
                        return null;
                      })
                  .compose(stopped -> saga.reserve(productId, users.get(0), SagaTests.ADDRESS))
                  // The relay hands it to Kafka (within milliseconds): from then on it is in
                  // order.requested only.
                  .compose(
                      orderId ->
                          Eventually.eventually(
                                  server.vertx(),
                                  20_000,
                                  () ->
                                      server
                                          .redis()
                                          .send(
                                              Request.cmd(Command.XLEN)
                                                  .arg(StockKeys.outbox(productId))),
                                  n -> n.toLong() == 0)
                              .map(orderId))
                  .compose(
                      orderId ->
                          lose(productId)
                              .compose(
                                  v ->
                                      Eventually.eventually(
                                          server.vertx(),
                                          20_000,
                                          () ->
                                              StockProbe.hash(
                                                  server.redis(), StockKeys.product(productId)),
                                          p -> p.containsKey("total")))
                              .compose(
                                  rebuilt ->
                                      saga.purchase(productId, users.get(1), SagaTests.ADDRESS)
                                          .map(
                                              held -> {
                                                test.verify(
                                                    () -> {
                                                      assertThat(rebuilt.getString(StockKeys.HOLD))
                                                          .as("rebuilt on hold")
                                                          .isEqualTo("1");
                                                      assertThat(rebuilt.getString("available"))
                                                          .as("PostgreSQL knew no order")
                                                          .isEqualTo("3");
                                                      assertThat(held.statusCode())
                                                          .as(
                                                              "no attempt while the product owes units")
                                                          .isEqualTo(503);
                                                      assertThat(
                                                              held.bodyAsJsonObject()
                                                                  .getString("error"))
                                                          .isEqualTo("UNAVAILABLE");
                                                    });
                                                return held;
                                              }))
                              .compose(
                                  held ->
                                      server
                                          .vertx()
                                          .deployVerticle(
                                              SagaCoordinatorVerticle::new,
                                              new DeploymentOptions()
                                                  .setConfig(server.app().config())))
                              // Redis forgot the order and PostgreSQL has no row yet: it is
                              // readable again once the saga stored it.
                              .compose(
                                  coordinator ->
                                      Eventually.eventually(
                                          server.vertx(),
                                          30_000,
                                          () ->
                                              server
                                                  .pg()
                                                  .preparedQuery(
                                                      "SELECT count(*) FROM orders WHERE id = $1")
                                                  .execute(io.vertx.sqlclient.Tuple.of(orderId))
                                                  .map(rows -> rows.iterator().next().getLong(0)),
                                          n -> n == 1))
                              .compose(stored -> saga.terminal(orderId, users.get(0), 30_000))
                              .compose(
                                  order ->
                                      Eventually.eventually(
                                              server.vertx(),
                                              20_000,
                                              () ->
                                                  StockProbe.hash(
                                                      server.redis(), StockKeys.product(productId)),
                                              p -> !p.containsKey(StockKeys.HOLD))
                                          .map(
                                              lifted -> {
                                                test.verify(
                                                    () -> {
                                                      assertThat(order.getString("status"))
                                                          .isEqualTo("COMPLETED");
                                                      assertThat(order.getString("failureReason"))
                                                          .isNull();
                                                      assertThat(lifted.getString("sold"))
                                                          .isEqualTo("1");
                                                      assertThat(lifted.getString("reserved"))
                                                          .isEqualTo("0");
                                                      assertThat(lifted.getString("available"))
                                                          .isEqualTo("2");
                                                    });
                                                return lifted;
                                              }))
                              .compose(
                                  lifted ->
                                      saga.reserve(productId, users.get(1), SagaTests.ADDRESS))
                              .compose(second -> saga.terminal(second, users.get(1), 30_000))
                              .map(
                                  second -> {
                                    test.verify(
                                        () ->
                                            assertThat(second.getString("status"))
                                                .isEqualTo("COMPLETED"));
                                    return second;
                                  }));
            })
        .onComplete(test.succeedingThenComplete());
  }

  /**
   * Sessions live only in Redis: when its data is lost (here: the epoch key that goes with them), a
   * token issued before is refused on the purchase route too, which checks sessions in memory; a
   * token issued after buys.
   */
  @Test
  void tokensIssuedBeforeRedisLostItsDataAreRefusedAtThePurchaseRoute(VertxTestContext test) {
    // A drop opening tomorrow: an accepted token hears 409 DROP_NOT_OPEN and uses up no attempt.
    JsonObject product =
        new JsonObject()
            .put("name", "later")
            .put("price", 100)
            .put("stock", 3)
            .put("grade", "COMMON")
            .put("dropAt", java.time.Instant.now().plusSeconds(86_400).toString());
    Future.all(server.createProduct(product), server.createUsers(1, 1_000))
        .compose(
            setup -> {
              long productId = setup.resultAt(0);
              long userId = setup.<List<Long>>resultAt(1).get(0);
              String before = server.token(userId);
              return purchase(productId, before)
                  .compose(
                      accepted ->
                          server
                              .vertx()
                              .timer(1_100)
                              .compose(
                                  t ->
                                      server
                                          .redis()
                                          .send(Request.cmd(Command.DEL).arg("sessions.epoch")))
                              // The feed looks once a second.
                              .compose(deleted -> server.vertx().timer(2_500))
                              .compose(
                                  t ->
                                      Future.all(
                                          purchase(productId, before),
                                          purchase(productId, server.token(userId))))
                              .map(
                                  after -> {
                                    test.verify(
                                        () -> {
                                          assertThat(accepted).as("before the loss").isEqualTo(409);
                                          assertThat(after.<Integer>resultAt(0))
                                              .as("issued before the loss")
                                              .isEqualTo(401);
                                          assertThat(after.<Integer>resultAt(1))
                                              .as("issued after the loss")
                                              .isEqualTo(409);
                                        });
                                    return after;
                                  }));
            })
        .onComplete(test.succeedingThenComplete());
  }

  private static Future<Integer> purchase(long productId, String token) {
    return server
        .http()
        .post("/api/products/" + productId + "/purchase")
        .bearerTokenAuthentication(token)
        .send()
        .map(r -> r.statusCode());
  }

  private static Future<Void> lose(long productId) {
    return server
        .redis()
        .send(Request.cmd(Command.KEYS).arg(StockKeys.tag(productId) + "*"))
        .compose(
            keys -> {
              Request del = Request.cmd(Command.DEL);
              keys.forEach(key -> del.arg(key.toString()));
              return server.redis().send(del);
            })
        .compose(
            v ->
                server
                    .redis()
                    .send(Request.cmd(Command.ZREM).arg(StockKeys.PRODUCT_INDEX).arg(productId)))
        .mapEmpty();
  }
}
