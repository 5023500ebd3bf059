package avalanche.saga;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.verticles.ShippingVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A participant that does not answer in time: the saga times out (2 s here), what succeeded is
 * undone at once, and the silent step is compensated too, so when its participant finally runs the
 * command late, the compensation that follows undoes it and the order ends CANCELLED with TIMEOUT.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class SagaTimeoutTest {
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
  void aSagaWithASilentStepTimesOutAndIsCompensatedEvenForTheLateStep(VertxTestContext test) {
    Future.all(server.createProduct("COMMON", 100, 2), server.createUsers(1, 1_000))
        .compose(
            setup -> {
              long productId = setup.resultAt(0);
              long userId = setup.<List<Long>>resultAt(1).get(0);
              return saga.reserve(productId, userId, SagaTests.ADDRESS)
                  .compose(
                      orderId ->
                          Eventually.eventually(
                                  server.vertx(),
                                  20_000,
                                  () -> saga.order(orderId, userId),
                                  o ->
                                      "TIMEOUT".equals(o.getString("failureReason"))
                                          && "SUCCESS"
                                              .equals(
                                                  o.getJsonObject("compensationStatuses")
                                                      .getString("APPLY_POINTS"))
                                          && "SUCCESS"
                                              .equals(
                                                  o.getJsonObject("compensationStatuses")
                                                      .getString("CHECK_STOCK")))
                              .compose(
                                  timedOut ->
                                      Future.all(saga.points(userId), saga.stock(productId))
                                          .compose(
                                              undone -> {
                                                test.verify(
                                                    () -> {
                                                      assertThat(timedOut.getString("status"))
                                                          .isEqualTo("PENDING");
                                                      assertThat(
                                                              timedOut
                                                                  .getJsonObject("commandStatuses")
                                                                  .getString("PREPARE_SHIPPING"))
                                                          .isEqualTo("PENDING");
                                                      assertThat(
                                                              timedOut
                                                                  .getJsonObject(
                                                                      "compensationStatuses")
                                                                  .getString("PREPARE_SHIPPING"))
                                                          .isEqualTo("PENDING");
                                                      assertThat(undone.<Long>resultAt(0))
                                                          .isEqualTo(1_000);
                                                      assertThat(
                                                              undone
                                                                  .<JsonObject>resultAt(1)
                                                                  .getLong("available"))
                                                          .isEqualTo(2);
                                                      assertThat(
                                                              undone
                                                                  .<JsonObject>resultAt(1)
                                                                  .getLong("reserved"))
                                                          .isEqualTo(0);
                                                    });
                                                return server
                                                    .vertx()
                                                    .deployVerticle(
                                                        ShippingVerticle::new,
                                                        new DeploymentOptions()
                                                            .setConfig(server.app().config()));
                                              }))
                              .compose(
                                  shipping ->
                                      saga.terminal(orderId, userId, 20_000)
                                          .compose(
                                              order ->
                                                  Future.all(
                                                          saga.shipment(orderId),
                                                          saga.ledger(orderId))
                                                      .map(
                                                          facts -> {
                                                            test.verify(
                                                                () -> {
                                                                  assertThat(
                                                                          order.getString("status"))
                                                                      .isEqualTo("CANCELLED");
                                                                  assertThat(
                                                                          order.getString(
                                                                              "failureReason"))
                                                                      .isEqualTo("TIMEOUT");
                                                                  // The late reply is recorded as
                                                                  // what happened; the compensation
                                                                  // undid it.
                                                                  assertThat(
                                                                          order
                                                                              .getJsonObject(
                                                                                  "commandStatuses")
                                                                              .getString(
                                                                                  "PREPARE_SHIPPING"))
                                                                      .isEqualTo("SUCCESS");
                                                                  assertThat(
                                                                          order
                                                                              .getJsonObject(
                                                                                  "compensationStatuses")
                                                                              .getMap())
                                                                      .containsOnly(
                                                                          Map.entry(
                                                                              "CHECK_STOCK",
                                                                              "SUCCESS"),
                                                                          Map.entry(
                                                                              "APPLY_POINTS",
                                                                              "SUCCESS"),
                                                                          Map.entry(
                                                                              "PREPARE_SHIPPING",
                                                                              "SUCCESS"));
                                                                  assertThat(
                                                                          facts.<String>resultAt(0))
                                                                      .isEqualTo("CANCELLED");
                                                                  assertThat(
                                                                          facts
                                                                              .<Map<String, Long>>
                                                                                  resultAt(1))
                                                                      .containsEntry(
                                                                          "DEDUCT", -100L)
                                                                      .containsEntry("REFUND", 100L)
                                                                      .containsEntry("rows", 2L);
                                                                });
                                                            return facts;
                                                          }))
                                          .eventually(() -> server.vertx().undeploy(shipping))));
            })
        .onComplete(test.succeedingThenComplete());
  }
}
