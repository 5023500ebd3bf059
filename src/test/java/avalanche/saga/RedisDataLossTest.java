package avalanche.saga;

import static avalanche.App.await;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.stock.StockKeys;
import avalanche.stock.StockProbe;
import avalanche.verticles.SagaCoordinatorVerticle;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RedisDataLossTest {
  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject().put("stock", new JsonObject().put("repairIntervalMs", 200)));

  private static final SagaTests saga = new SagaTests(server);

  @Test
  void anOrderStillInKafkaWhenRedisLostItsDataCompletesAndTheProductWaitsForIt() {
    long productId = await(server.createProduct("COMMON", 100, 3));
    List<Long> users = await(server.createUsers(3, 1_000));
    server.app().stopSagaCoordinator();
    String orderId = await(saga.reserve(productId, users.get(0), SagaTests.ADDRESS));
    // The relay hands it to Kafka (within milliseconds): from then on it is in order.requested
    // only.
    await(
        Eventually.eventually(server.vertx(), 20_000, () -> outboxLength(productId), n -> n == 0));

    await(lose(productId));
    JsonObject rebuilt =
        await(
            Eventually.eventually(
                server.vertx(), 20_000, () -> product(productId), p -> p.containsKey("total")));
    HttpResponse<Buffer> held = await(saga.purchase(productId, users.get(1), SagaTests.ADDRESS));

    assertThat(rebuilt.getString(StockKeys.HOLD)).as("rebuilt on hold").isEqualTo("1");
    assertThat(rebuilt.getString("available")).as("PostgreSQL knew no order").isEqualTo("3");
    assertThat(held.statusCode()).as("no attempt while the product owes units").isEqualTo(503);
    assertThat(held.bodyAsJsonObject().getString("error")).isEqualTo("UNAVAILABLE");

    await(saga.deploy(SagaCoordinatorVerticle::new));
    // Redis forgot the order and PostgreSQL has no row yet: it is readable again once the saga
    // stored it.
    await(Eventually.eventually(server.vertx(), 30_000, () -> rows(orderId), n -> n == 1));
    JsonObject order = await(saga.terminal(orderId, users.get(0), 30_000));
    JsonObject lifted =
        await(
            Eventually.eventually(
                server.vertx(),
                20_000,
                () -> product(productId),
                p -> !p.containsKey(StockKeys.HOLD)));

    assertThat(order.getString("status")).isEqualTo("COMPLETED");
    assertThat(order.getString("failureReason")).isNull();
    assertThat(lifted.getString("sold")).isEqualTo("1");
    assertThat(lifted.getString("reserved")).isEqualTo("0");
    assertThat(lifted.getString("available")).isEqualTo("2");

    String second = await(saga.reserve(productId, users.get(1), SagaTests.ADDRESS));
    assertThat(await(saga.terminal(second, users.get(1), 30_000)).getString("status"))
        .isEqualTo("COMPLETED");
  }

  /**
   * Sessions live only in Redis: when its data is lost (here: the epoch key that goes with them), a
   * token issued before is refused on the purchase route too, which checks sessions in memory; a
   * token issued after buys.
   */
  @Test
  void tokensIssuedBeforeRedisLostItsDataAreRefusedAtThePurchaseRoute() {
    // A drop opening tomorrow: an accepted token hears 409 DROP_NOT_OPEN and uses up no attempt.
    long productId =
        await(
            server.createProduct(
                new JsonObject()
                    .put("name", "later")
                    .put("price", 100)
                    .put("stock", 3)
                    .put("grade", "COMMON")
                    .put("dropAt", Instant.now().plusSeconds(86_400).toString())));
    long userId = await(server.createUsers(1, 1_000)).get(0);
    String before = server.token(userId);

    int accepted = await(purchase(productId, before));
    await(server.vertx().timer(1_100));
    await(server.redis().send(Request.cmd(Command.DEL).arg("sessions.epoch")));
    // The feed looks once a second.
    await(server.vertx().timer(2_500));
    int refused = await(purchase(productId, before));
    int issuedAfter = await(purchase(productId, server.token(userId)));

    assertThat(accepted).as("before the loss").isEqualTo(409);
    assertThat(refused).as("issued before the loss").isEqualTo(401);
    assertThat(issuedAfter).as("issued after the loss").isEqualTo(409);
  }

  private static Future<Integer> purchase(long productId, String token) {
    return server
        .http()
        .post("/api/products/" + productId + "/purchase")
        .bearerTokenAuthentication(token)
        .send()
        .map(r -> r.statusCode());
  }

  private static Future<Long> outboxLength(long productId) {
    return server
        .redis()
        .send(Request.cmd(Command.XLEN).arg(StockKeys.outbox(productId)))
        .map(n -> n.toLong());
  }

  private static Future<JsonObject> product(long productId) {
    return StockProbe.hash(server.redis(), StockKeys.product(productId));
  }

  /** 1 once the saga stored the order, else 0. */
  private static Future<Long> rows(String orderId) {
    return saga.count("SELECT count(*) FROM orders WHERE id = $1", orderId);
  }

  /** The product's keys deleted, as a Redis that lost its data would have lost them. */
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
