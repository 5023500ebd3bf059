package avalanche.saga;

import static avalanche.App.await;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import avalanche.infra.kafka.Topics;
import avalanche.messages.SagaAction;
import avalanche.messages.SagaStep;
import avalanche.messages.StepOutcome;
import avalanche.verticles.StockParticipantVerticle;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The reservation is gone when the saga needs it. The server runs without a stock participant, so
 * the test can release the unit (as an expiry would) at the exact moment it wants, then start the
 * participant.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SagaStockFailureTest {
  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject().put("verticles", new JsonObject().put("stockParticipant", 0)));

  private static final SagaTests saga = new SagaTests(server);

  @Test
  void aReservationReleasedBeforeTheCheckFailsTheStockStepAndUndoesTheOthers() {
    long productId = await(server.createProduct("COMMON", 100, 3));
    long userId = await(server.createUsers(1, 1_000)).get(0);
    String orderId = await(saga.reserve(productId, userId, SagaTests.ADDRESS));
    await(othersSucceeded(orderId, userId));
    await(release(orderId));
    String participant = await(stockParticipant());
    try {
      JsonObject order = await(saga.terminal(orderId, userId, 20_000));
      SagaTests.Facts facts = await(saga.facts(orderId, userId, productId));

      assertThat(order.getString("status")).isEqualTo("CANCELLED");
      assertThat(order.getString("failureReason")).isEqualTo("OUT_OF_STOCK");
      assertThat(order.getJsonObject("commandStatuses").getMap())
          .containsOnly(
              Map.entry("CHECK_STOCK", "FAILED"),
              Map.entry("APPLY_POINTS", "SUCCESS"),
              Map.entry("PREPARE_SHIPPING", "SUCCESS"));
      assertThat(order.getJsonObject("compensationStatuses").getMap())
          .containsOnly(
              Map.entry("APPLY_POINTS", "SUCCESS"), Map.entry("PREPARE_SHIPPING", "SUCCESS"));
      assertThat(facts.points()).isEqualTo(1_000);
      assertThat(facts.ledger()).containsEntry("REFUND", 100L).containsEntry("rows", 2L);
      assertThat(facts.shipment()).isEqualTo("CANCELLED");
      assertThat(facts.stock().getLong("available")).isEqualTo(3);
      assertThat(facts.stock().getLong("reserved")).isEqualTo(0);
      assertThat(facts.stock().getLong("sold")).isEqualTo(0);

      // The attempt came back with the released unit.
      String again = await(saga.reserve(productId, userId, SagaTests.ADDRESS));
      assertThat(await(saga.terminal(again, userId, 20_000)).getString("status"))
          .isEqualTo("COMPLETED");
    } finally {
      await(server.vertx().undeploy(participant));
    }
  }

  @Test
  void aConfirmationThatFindsTheReservationGoneCompensatesEveryStep() {
    long productId = await(server.createProduct("COMMON", 100, 3));
    long userId = await(server.createUsers(1, 1_000)).get(0);
    var producer = saga.producer();
    try {
      String orderId = await(saga.reserve(productId, userId, SagaTests.ADDRESS));
      await(othersSucceeded(orderId, userId));
      // The stock check passed just before the reservation expired: its SUCCESS reply is in flight.
      await(release(orderId));
      await(
          SagaTests.publish(
              producer,
              Topics.SAGA_REPLIES,
              orderId,
              SagaTests.bytes(
                  SagaTests.reply(
                      orderId,
                      SagaStep.CHECK_STOCK,
                      SagaAction.COMMAND,
                      StepOutcome.SUCCESS,
                      null)),
              1));
      // Confirmation fails, so all three are compensated; the stock one waits for its participant.
      JsonObject compensating =
          await(
              saga.orderWhen(
                  orderId,
                  userId,
                  20_000,
                  o ->
                      o.getJsonObject("compensationStatuses").size() == 3
                          && "SUCCESS"
                              .equals(
                                  o.getJsonObject("compensationStatuses").getString("APPLY_POINTS"))
                          && "SUCCESS"
                              .equals(
                                  o.getJsonObject("compensationStatuses")
                                      .getString("PREPARE_SHIPPING"))));
      assertThat(compensating.getString("status")).isEqualTo("PENDING");
      assertThat(compensating.getJsonObject("compensationStatuses").getString("CHECK_STOCK"))
          .isEqualTo("PENDING");

      String participant = await(stockParticipant());
      try {
        JsonObject order = await(saga.terminal(orderId, userId, 20_000));
        SagaTests.Facts facts = await(saga.facts(orderId, userId, productId));

        assertThat(order.getString("status")).isEqualTo("CANCELLED");
        assertThat(order.getString("failureReason")).isEqualTo("OUT_OF_STOCK");
        assertThat(order.getJsonObject("commandStatuses").getMap())
            .containsOnly(
                Map.entry("CHECK_STOCK", "SUCCESS"),
                Map.entry("APPLY_POINTS", "SUCCESS"),
                Map.entry("PREPARE_SHIPPING", "SUCCESS"));
        assertThat(order.getJsonObject("compensationStatuses").getMap())
            .containsOnly(
                Map.entry("CHECK_STOCK", "SUCCESS"),
                Map.entry("APPLY_POINTS", "SUCCESS"),
                Map.entry("PREPARE_SHIPPING", "SUCCESS"));
        assertThat(facts.points()).isEqualTo(1_000);
        assertThat(facts.shipment()).isEqualTo("CANCELLED");
        assertThat(facts.stock().getLong("available")).isEqualTo(3);
        assertThat(facts.stock().getLong("reserved")).isEqualTo(0);
        assertThat(facts.stock().getLong("sold")).isEqualTo(0);
        assertThat(facts.completedOrders()).isEqualTo(0);
      } finally {
        await(server.vertx().undeploy(participant));
      }
    } finally {
      await(producer.close());
    }
  }

  @Test
  void aSagaLeftConfirmingByACrashedCoordinatorIsFinishedByTheScanner() {
    long productId = await(server.createProduct("COMMON", 100, 3));
    long userId = await(server.createUsers(1, 1_000)).get(0);
    String orderId = await(saga.reserve(productId, userId, SagaTests.ADDRESS));
    await(othersSucceeded(orderId, userId));
    // As if a coordinator recorded the last SUCCESS, moved to CONFIRMING and died before selling.
    await(
        server
            .pg()
            .preparedQuery(
                """
            UPDATE orders SET saga_state = 'CONFIRMING', saga_due_at = now(),
                   command_statuses = command_statuses || '{"CHECK_STOCK": "SUCCESS"}'::jsonb
             WHERE id = $1 AND saga_state = 'RUNNING'""")
            .execute(io.vertx.sqlclient.Tuple.of(orderId)));

    JsonObject order = await(saga.terminal(orderId, userId, 20_000));
    SagaTests.Facts facts = await(saga.facts(orderId, userId, productId));

    assertThat(order.getString("status")).isEqualTo("COMPLETED");
    assertThat(facts.stock().getLong("sold")).isEqualTo(1).isEqualTo(facts.completedOrders());
    assertThat(facts.stock().getLong("reserved")).isEqualTo(0);
    assertThat(facts.points()).isEqualTo(900);
  }

  private static Future<JsonObject> othersSucceeded(String orderId, long userId) {
    return saga.orderWhen(
        orderId,
        userId,
        20_000,
        o -> {
          JsonObject steps = o.getJsonObject("commandStatuses");
          return "SUCCESS".equals(steps.getString("APPLY_POINTS"))
              && "SUCCESS".equals(steps.getString("PREPARE_SHIPPING"));
        });
  }

  private static Future<Void> release(String orderId) {
    return server
        .stock()
        .release(orderId)
        .map(
            released -> {
              if (!"RELEASED".equals(released.getString("result"))) {
                throw new IllegalStateException("not released: " + released);
              }
              return null;
            });
  }

  private static Future<String> stockParticipant() {
    return saga.deploy(StockParticipantVerticle::new);
  }
}
