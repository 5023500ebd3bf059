package avalanche.saga;

import avalanche.infra.Channels;
import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.infra.kafka.Topics;
import avalanche.messages.SagaAction;
import avalanche.messages.SagaStep;
import avalanche.messages.StepOutcome;
import avalanche.verticles.StockParticipantVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reservation is gone when the saga needs it. The server runs without a stock participant, so the test
 * can release the unit (as an expiry would) at the exact moment it wants, then start the participant.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class SagaStockFailureTest {
  @RegisterExtension
  static final TestServer server = TestServer.extension(new JsonObject().put("verticles", new JsonObject().put("stockParticipant", 0)));
  private static final SagaTests saga = new SagaTests(server);

  @Test
  void aReservationReleasedBeforeTheCheckFailsTheStockStepAndUndoesTheOthers(VertxTestContext test) {
    Future.all(server.createProduct("COMMON", 100, 3), server.createUsers(1, 1_000)).compose(setup -> {
      long productId = setup.resultAt(0);
      long userId = setup.<List<Long>>resultAt(1).get(0);
      return saga.reserve(productId, userId, SagaTests.ADDRESS)
          .compose(orderId -> othersSucceeded(orderId, userId)
              .compose(v -> release(productId, orderId))
              .compose(v -> stockParticipant())
              .compose(participant -> saga.terminal(orderId, userId, 20_000)
                  .compose(order -> Future.all(saga.points(userId), saga.ledger(orderId), saga.shipment(orderId),
                      saga.stock(productId)).map(facts -> {
                        test.verify(() -> {
                          assertThat(order.getString("status")).isEqualTo("CANCELLED");
                          assertThat(order.getString("failureReason")).isEqualTo("OUT_OF_STOCK");
                          assertThat(order.getJsonObject("commandStatuses").getMap()).containsOnly(
                              Map.entry("CHECK_STOCK", "FAILED"), Map.entry("APPLY_POINTS", "SUCCESS"),
                              Map.entry("PREPARE_SHIPPING", "SUCCESS"));
                          assertThat(order.getJsonObject("compensationStatuses").getMap()).containsOnly(
                              Map.entry("APPLY_POINTS", "SUCCESS"), Map.entry("PREPARE_SHIPPING", "SUCCESS"));
                          assertThat(facts.<Long>resultAt(0)).isEqualTo(1_000);
                          assertThat(facts.<Map<String, Long>>resultAt(1)).containsEntry("REFUND", 100L)
                              .containsEntry("rows", 2L);
                          assertThat(facts.<String>resultAt(2)).isEqualTo("CANCELLED");
                          JsonObject stock = facts.resultAt(3);
                          assertThat(stock.getLong("available")).isEqualTo(3);
                          assertThat(stock.getLong("reserved")).isEqualTo(0);
                          assertThat(stock.getLong("sold")).isEqualTo(0);
                        });
                        return facts;
                      }))
                  // The attempt came back with the released unit.
                  .compose(facts -> saga.reserve(productId, userId, SagaTests.ADDRESS))
                  .compose(again -> saga.terminal(again, userId, 20_000))
                  .map(again -> {
                    test.verify(() -> assertThat(again.getString("status")).isEqualTo("COMPLETED"));
                    return again;
                  })
                  .eventually(() -> server.vertx().undeploy(participant))));
    }).onComplete(test.succeedingThenComplete());
  }

  @Test
  void aConfirmationThatFindsTheReservationGoneCompensatesEveryStep(VertxTestContext test) {
    Future.all(server.createProduct("COMMON", 100, 3), server.createUsers(1, 1_000)).compose(setup -> {
      long productId = setup.resultAt(0);
      long userId = setup.<List<Long>>resultAt(1).get(0);
      var producer = saga.producer();
      return saga.reserve(productId, userId, SagaTests.ADDRESS)
          .compose(orderId -> othersSucceeded(orderId, userId)
              // The stock check passed just before the reservation expired: its SUCCESS reply is in flight.
              .compose(v -> release(productId, orderId))
              .compose(v -> SagaTests.publish(producer, Topics.SAGA_REPLIES, orderId, SagaTests.bytes(
                  SagaTests.reply(orderId, SagaStep.CHECK_STOCK, SagaAction.COMMAND, StepOutcome.SUCCESS, null)), 1))
              // Confirmation fails, so all three are compensated; the stock one waits for its participant.
              .compose(v -> Eventually.eventually(server.vertx(),
                  20_000, () -> saga.order(orderId, userId),
                  o -> o.getJsonObject("compensationStatuses").size() == 3
                      && "SUCCESS".equals(o.getJsonObject("compensationStatuses").getString("APPLY_POINTS"))
                      && "SUCCESS".equals(o.getJsonObject("compensationStatuses").getString("PREPARE_SHIPPING"))))
              .compose(compensating -> {
                test.verify(() -> {
                  assertThat(compensating.getString("status")).isEqualTo("PENDING");
                  assertThat(compensating.getJsonObject("compensationStatuses").getString("CHECK_STOCK")).isEqualTo("PENDING");
                });
                return stockParticipant();
              })
              .compose(participant -> saga.terminal(orderId, userId, 20_000)
                  .compose(order -> Future.all(saga.points(userId), saga.shipment(orderId), saga.stock(productId),
                      saga.completedOrders(productId)).map(facts -> {
                        test.verify(() -> {
                          assertThat(order.getString("status")).isEqualTo("CANCELLED");
                          assertThat(order.getString("failureReason")).isEqualTo("OUT_OF_STOCK");
                          assertThat(order.getJsonObject("commandStatuses").getMap()).containsOnly(
                              Map.entry("CHECK_STOCK", "SUCCESS"), Map.entry("APPLY_POINTS", "SUCCESS"),
                              Map.entry("PREPARE_SHIPPING", "SUCCESS"));
                          assertThat(order.getJsonObject("compensationStatuses").getMap()).containsOnly(
                              Map.entry("CHECK_STOCK", "SUCCESS"), Map.entry("APPLY_POINTS", "SUCCESS"),
                              Map.entry("PREPARE_SHIPPING", "SUCCESS"));
                          assertThat(facts.<Long>resultAt(0)).isEqualTo(1_000);
                          assertThat(facts.<String>resultAt(1)).isEqualTo("CANCELLED");
                          JsonObject stock = facts.resultAt(2);
                          assertThat(stock.getLong("available")).isEqualTo(3);
                          assertThat(stock.getLong("reserved")).isEqualTo(0);
                          assertThat(stock.getLong("sold")).isEqualTo(0);
                          assertThat(facts.<Long>resultAt(3)).isEqualTo(0);
                        });
                        return facts;
                      }))
                  .eventually(() -> server.vertx().undeploy(participant)))
              .eventually(producer::close));
    }).onComplete(test.succeedingThenComplete());
  }

  @Test
  void aSagaLeftConfirmingByACrashedCoordinatorIsFinishedByTheScanner(VertxTestContext test) {
    Future.all(server.createProduct("COMMON", 100, 3), server.createUsers(1, 1_000)).compose(setup -> {
      long productId = setup.resultAt(0);
      long userId = setup.<List<Long>>resultAt(1).get(0);
      return saga.reserve(productId, userId, SagaTests.ADDRESS)
          .compose(orderId -> othersSucceeded(orderId, userId)
              // As if a coordinator recorded the last SUCCESS, moved to CONFIRMING and died before selling.
              .compose(v -> server.pg().preparedQuery("""
                      UPDATE orders SET saga_state = 'CONFIRMING', saga_due_at = now(),
                             command_statuses = command_statuses || '{"CHECK_STOCK": "SUCCESS"}'::jsonb
                       WHERE id = $1 AND saga_state = 'RUNNING'""").execute(io.vertx.sqlclient.Tuple.of(orderId)))
              .compose(v -> saga.terminal(orderId, userId, 20_000))
              .compose(order -> Future.all(saga.stock(productId), saga.completedOrders(productId), saga.points(userId))
                  .map(facts -> {
                    test.verify(() -> {
                      assertThat(order.getString("status")).isEqualTo("COMPLETED");
                      JsonObject stock = facts.resultAt(0);
                      assertThat(stock.getLong("sold")).isEqualTo(1).isEqualTo(facts.<Long>resultAt(1));
                      assertThat(stock.getLong("reserved")).isEqualTo(0);
                      assertThat(facts.<Long>resultAt(2)).isEqualTo(900);
                    });
                    return facts;
                  })));
    }).onComplete(test.succeedingThenComplete());
  }

  private static Future<JsonObject> othersSucceeded(String orderId, long userId) {
    return Eventually.eventually(server.vertx(), 20_000, () -> saga.order(orderId, userId), o -> {
      JsonObject steps = o.getJsonObject("commandStatuses");
      return "SUCCESS".equals(steps.getString("APPLY_POINTS")) && "SUCCESS".equals(steps.getString("PREPARE_SHIPPING"));
    });
  }

  private static Future<Void> release(long productId, String orderId) {
    return server.vertx().eventBus().<JsonObject>request(Channels.STOCK_RELEASE,
        new JsonObject().put("productId", productId).put("orderId", orderId)).map(reply -> {
          if (!"RELEASED".equals(reply.body().getString("result"))) {
            throw new IllegalStateException("not released: " + reply.body());
          }
          return null;
        });
  }

  private static Future<String> stockParticipant() {
    return server.vertx().deployVerticle(StockParticipantVerticle::new,
        new DeploymentOptions().setConfig(server.app().config()));
  }
}
