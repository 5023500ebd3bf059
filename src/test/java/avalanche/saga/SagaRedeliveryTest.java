package avalanche.saga;

import static avalanche.App.await;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import avalanche.infra.kafka.Topics;
import avalanche.messages.SagaAction;
import avalanche.messages.SagaStep;
import avalanche.messages.StepOutcome;
import avalanche.order.OrderIds;
import avalanche.verticles.SagaCoordinatorVerticle;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Kafka delivers at least once: the same command, compensation or reply published again, several
 * times, straight to its topic, must change nothing after the first. Each check waits until the
 * consumer group committed past the duplicates, so they were really processed.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SagaRedeliveryTest {
  private static final int TIMES = 5;
  private static final long WAIT_MS = 30_000;
  @RegisterExtension static final TestServer server = TestServer.extension();
  private static final SagaTests saga = new SagaTests(server);
  private static KafkaProducer<String, byte[]> producer;

  @BeforeAll
  static void start() {
    producer = saga.producer();
  }

  @AfterAll
  static void stop() {
    await(producer.close());
  }

  @Test
  void repeatedCommandsAndRepliesOfACompletedOrderChangeNothing() {
    long productId = await(server.createProduct("COMMON", 100, 4));
    long userId = await(server.createUsers(1, 1_000)).get(0);
    String orderId = await(saga.reserve(productId, userId, SagaTests.ADDRESS));
    await(saga.terminal(orderId, userId, 20_000));

    await(
        Future.all(
            again(orderId, productId, userId, SagaStep.APPLY_POINTS, SagaAction.COMMAND),
            again(orderId, productId, userId, SagaStep.PREPARE_SHIPPING, SagaAction.COMMAND),
            again(orderId, productId, userId, SagaStep.CHECK_STOCK, SagaAction.COMMAND),
            replies(orderId, SagaAction.COMMAND, StepOutcome.SUCCESS),
            // A contradicting late reply for a step already recorded is a duplicate too.
            replies(orderId, SagaAction.COMMAND, StepOutcome.FAILED)));
    JsonObject order = await(saga.order(orderId, userId));
    SagaTests.Facts facts = await(saga.facts(orderId, userId, productId));
    List<String> shipments = await(shipments(orderId));

    assertThat(order.getString("status")).isEqualTo("COMPLETED");
    assertThat(order.getJsonObject("commandStatuses").getMap())
        .containsOnly(
            Map.entry("CHECK_STOCK", "SUCCESS"),
            Map.entry("APPLY_POINTS", "SUCCESS"),
            Map.entry("PREPARE_SHIPPING", "SUCCESS"));
    assertThat(order.getValue("failureReason")).isNull();
    assertThat(facts.points()).isEqualTo(900);
    assertThat(facts.ledger()).containsEntry("DEDUCT", -100L).containsEntry("rows", 1L);
    assertThat(shipments).containsExactly("REGISTERED");
    assertThat(facts.stock().getLong("available")).isEqualTo(3);
    assertThat(facts.stock().getLong("reserved")).isEqualTo(0);
    assertThat(facts.stock().getLong("sold")).isEqualTo(1);
    assertThat(facts.completedOrders()).isEqualTo(1);
  }

  @Test
  void repeatedCompensationsRefundAndReleaseOnce() {
    long productId = await(server.createProduct("COMMON", 100, 4));
    long userId = await(server.createUsers(1, 1_000)).get(0);
    // An unusable address: points and stock succeed and are compensated.
    String orderId = await(saga.reserve(productId, userId, "??"));
    await(saga.terminal(orderId, userId, 20_000));

    await(
        Future.all(
            again(orderId, productId, userId, SagaStep.APPLY_POINTS, SagaAction.COMPENSATION),
            again(orderId, productId, userId, SagaStep.CHECK_STOCK, SagaAction.COMPENSATION),
            again(orderId, productId, userId, SagaStep.PREPARE_SHIPPING, SagaAction.COMPENSATION),
            // The command once more after its compensation: replays its first outcome, takes
            // nothing.
            again(orderId, productId, userId, SagaStep.APPLY_POINTS, SagaAction.COMMAND),
            replies(orderId, SagaAction.COMPENSATION, StepOutcome.SUCCESS)));
    JsonObject order = await(saga.order(orderId, userId));
    SagaTests.Facts facts = await(saga.facts(orderId, userId, productId));
    List<String> shipments = await(shipments(orderId));

    assertThat(order.getString("status")).isEqualTo("CANCELLED");
    assertThat(order.getString("failureReason")).isEqualTo("INVALID_ADDRESS");
    assertThat(order.getJsonObject("compensationStatuses").getMap())
        .containsOnly(Map.entry("CHECK_STOCK", "SUCCESS"), Map.entry("APPLY_POINTS", "SUCCESS"));
    assertThat(facts.points()).isEqualTo(1_000);
    assertThat(facts.ledger())
        .containsEntry("DEDUCT", -100L)
        .containsEntry("REFUND", 100L)
        .containsEntry("rows", 2L);
    assertThat(shipments).isEmpty();
    assertThat(facts.stock().getLong("available")).isEqualTo(4);
    assertThat(facts.stock().getLong("reserved")).isEqualTo(0);
    assertThat(facts.stock().getLong("sold")).isEqualTo(0);
  }

  @Test
  void aCompensationBeforeItsCommandTurnsTheCommandIntoANoOp() {
    long productId = await(server.createProduct("COMMON", 100, 4));
    long userId = await(server.createUsers(1, 1_000)).get(0);
    String orderId = OrderIds.next(productId);

    await(again(orderId, productId, userId, SagaStep.APPLY_POINTS, SagaAction.COMPENSATION));
    await(again(orderId, productId, userId, SagaStep.APPLY_POINTS, SagaAction.COMMAND));
    await(again(orderId, productId, userId, SagaStep.PREPARE_SHIPPING, SagaAction.COMPENSATION));
    await(again(orderId, productId, userId, SagaStep.PREPARE_SHIPPING, SagaAction.COMMAND));

    assertThat(await(saga.points(userId))).isEqualTo(1_000);
    assertThat(await(saga.ledger(orderId))).containsEntry("rows", 0L);
    assertThat(await(shipments(orderId))).isEmpty();
    assertThat(await(participantSteps(orderId)))
        .containsExactly(
            "APPLY_POINTS:FAILED:COMPENSATED:true", "PREPARE_SHIPPING:FAILED:COMPENSATED:true");
  }

  /**
   * Publishes one command or compensation {@link #TIMES} times and waits until its participant took
   * them all.
   */
  private static Future<Void> again(
      String orderId, long productId, long userId, SagaStep step, SagaAction action) {
    byte[] value =
        SagaTests.bytes(
            SagaTests.command(orderId, productId, userId, 100, step, action, SagaTests.ADDRESS));
    String group =
        switch (step) {
          case CHECK_STOCK -> "stock-participant";
          case APPLY_POINTS -> "point-participant";
          case PREPARE_SHIPPING -> "shipping-participant";
        };
    return SagaTests.publish(producer, SagaSteps.topic(step), orderId, value, TIMES)
        .compose(last -> saga.consumed(group, last, WAIT_MS));
  }

  /**
   * Publishes every step's reply {@link #TIMES} times and waits until the coordinator took them
   * all.
   */
  private static Future<Void> replies(String orderId, SagaAction action, StepOutcome outcome) {
    Future<Void> all = Future.succeededFuture();
    for (SagaStep step : SagaStep.values()) {
      byte[] value =
          SagaTests.bytes(
              SagaTests.reply(
                  orderId,
                  step,
                  action,
                  outcome,
                  outcome == StepOutcome.FAILED ? "INSUFFICIENT_POINTS" : null));
      all =
          all.compose(
              v ->
                  SagaTests.publish(producer, Topics.SAGA_REPLIES, orderId, value, TIMES)
                      .compose(
                          last -> saga.consumed(SagaCoordinatorVerticle.GROUP, last, WAIT_MS)));
    }
    return all;
  }

  private static Future<List<String>> shipments(String orderId) {
    return server
        .pg()
        .preparedQuery("SELECT status FROM shipments WHERE order_id = $1")
        .execute(Tuple.of(orderId))
        .map(rows -> rows.stream().map(row -> row.getString(0)).toList());
  }

  /** The participants' dedup rows of the order: {@code step:outcome:reason:compensated}. */
  private static Future<List<String>> participantSteps(String orderId) {
    return server
        .pg()
        .preparedQuery(
            """
            SELECT step, command_outcome, command_reason, compensated FROM participant_steps
             WHERE order_id = $1 ORDER BY step""")
        .execute(Tuple.of(orderId))
        .map(
            rows ->
                rows.stream()
                    .map(
                        row ->
                            row.getString(0)
                                + ":"
                                + row.getString(1)
                                + ":"
                                + row.getString(2)
                                + ":"
                                + row.getBoolean(3))
                    .toList());
  }
}
