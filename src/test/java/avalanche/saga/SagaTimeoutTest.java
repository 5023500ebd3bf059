package avalanche.saga;

import static avalanche.App.await;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import avalanche.verticles.ShippingVerticle;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A participant that does not answer in time: the saga times out (2 s here), what succeeded is
 * undone at once, and the silent step is compensated too, so when its participant finally runs the
 * command late, the compensation that follows undoes it and the order ends CANCELLED with TIMEOUT.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SagaTimeoutTest {
  // No shipping participant: PREPARE_SHIPPING stays silent until the test starts one.
  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject()
              .put(
                  "saga",
                  new JsonObject()
                      .put("timeoutSeconds", 2)
                      .put("retrySeconds", 2)
                      .put("scanIntervalMs", 200))
              .put("verticles", new JsonObject().put("shipping", 0)));

  private static final SagaTests saga = new SagaTests(server);

  @Test
  void aSagaWithASilentStepTimesOutAndIsCompensatedEvenForTheLateStep() {
    long productId = await(server.createProduct("COMMON", 100, 2));
    long userId = await(server.createUsers(1, 1_000)).get(0);
    String orderId = await(saga.reserve(productId, userId, SagaTests.ADDRESS));

    JsonObject timedOut = await(undoneAfterTimeout(orderId, userId));
    long points = await(saga.points(userId));
    JsonObject stock = await(saga.stock(productId));

    assertThat(timedOut.getString("status")).isEqualTo("PENDING");
    assertThat(timedOut.getJsonObject("commandStatuses").getString("PREPARE_SHIPPING"))
        .isEqualTo("PENDING");
    assertThat(timedOut.getJsonObject("compensationStatuses").getString("PREPARE_SHIPPING"))
        .isEqualTo("PENDING");
    assertThat(points).isEqualTo(1_000);
    assertThat(stock.getLong("available")).isEqualTo(2);
    assertThat(stock.getLong("reserved")).isEqualTo(0);

    // The shipping participant comes back and finds the command, then its compensation.
    String shipping = await(shippingParticipant());
    try {
      JsonObject order = await(saga.terminal(orderId, userId, 20_000));
      String shipment = await(saga.shipment(orderId));
      Map<String, Long> ledger = await(saga.ledger(orderId));

      assertThat(order.getString("status")).isEqualTo("CANCELLED");
      assertThat(order.getString("failureReason")).isEqualTo("TIMEOUT");
      // The late reply is recorded as what happened; the compensation undid it.
      assertThat(order.getJsonObject("commandStatuses").getString("PREPARE_SHIPPING"))
          .isEqualTo("SUCCESS");
      assertThat(order.getJsonObject("compensationStatuses").getMap())
          .containsOnly(
              Map.entry("CHECK_STOCK", "SUCCESS"),
              Map.entry("APPLY_POINTS", "SUCCESS"),
              Map.entry("PREPARE_SHIPPING", "SUCCESS"));
      assertThat(shipment).isEqualTo("CANCELLED");
      assertThat(ledger)
          .containsEntry("DEDUCT", -100L)
          .containsEntry("REFUND", 100L)
          .containsEntry("rows", 2L);
    } finally {
      await(server.vertx().undeploy(shipping));
    }
  }

  /** The order once it timed out and the steps that answered were compensated. */
  private static Future<JsonObject> undoneAfterTimeout(String orderId, long userId) {
    return saga.orderWhen(
        orderId,
        userId,
        20_000,
        o -> {
          JsonObject undone = o.getJsonObject("compensationStatuses");
          return "TIMEOUT".equals(o.getString("failureReason"))
              && "SUCCESS".equals(undone.getString("APPLY_POINTS"))
              && "SUCCESS".equals(undone.getString("CHECK_STOCK"));
        });
  }

  private static Future<String> shippingParticipant() {
    return saga.deploy(ShippingVerticle::new);
  }
}
