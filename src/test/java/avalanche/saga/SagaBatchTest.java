package avalanche.saga;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.messages.SagaAction;
import avalanche.messages.SagaStep;
import avalanche.order.OrderIds;
import io.vertx.core.Future;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The set-based participants: commands that reach a participant together (one polled batch, one
 * round) must end exactly as if they had come one by one. Flat helpers on purpose (quick to
 * compile).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class SagaBatchTest {
  private static final long PRICE = 100;
  private static final int ORDERS = 10;
  @RegisterExtension static final TestServer server = TestServer.extension();
  private static final SagaTests saga = new SagaTests(server);
  private static KafkaProducer<String, byte[]> producer;

  @BeforeAll
  static void start() {
    producer = saga.producer();
  }

  @AfterAll
  static void stop() {
    avalanche.App.await(producer.close());
  }

  /**
   * Ten APPLY_POINTS commands of one user, sent at once, with points for three: exactly three are
   * paid (each seeing the balance the one before left), seven fail INSUFFICIENT_POINTS, the balance
   * never goes below 0 and the ledger explains it.
   */
  @Test
  void manyOrdersOfOneUserInOneBatchArePaidOneAfterTheOther(VertxTestContext test) {
    Future<Long> product = server.createProduct("COMMON", PRICE, 20);
    Future<List<Long>> users = server.createUsers(1, 3 * PRICE + 50);
    Future.all(product, users)
        .compose(setup -> sendDeducts(product.result(), users.result().get(0)))
        .compose(
            orderIds ->
                outcomesWhenAllDone(orderIds)
                    .compose(
                        outcomes ->
                            userFacts(users.result().get(0))
                                .map(
                                    facts -> {
                                      test.verify(() -> checkPaidThree(outcomes, facts));
                                      return facts;
                                    })))
        .onComplete(test.succeedingThenComplete());
  }

  private static Future<List<String>> sendDeducts(long productId, long userId) {
    List<String> orderIds = new ArrayList<>();
    List<Future<?>> sent = new ArrayList<>();
    for (int i = 0; i < ORDERS; i++) {
      String orderId = OrderIds.next(productId);
      orderIds.add(orderId);
      byte[] value =
          SagaTests.bytes(
              SagaTests.command(
                  orderId,
                  productId,
                  userId,
                  PRICE,
                  SagaStep.APPLY_POINTS,
                  SagaAction.COMMAND,
                  null));
      sent.add(
          producer.send(
              KafkaProducerRecord.create(
                  avalanche.infra.kafka.Topics.POINT_COMMANDS, orderId, value)));
    }
    return Future.all(sent).map(orderIds);
  }

  /** order id → "SUCCESS" or "FAILED:reason", once every order's step has an outcome. */
  private static Future<Map<String, String>> outcomesWhenAllDone(List<String> orderIds) {
    return Eventually.eventually(
        server.vertx(), 30_000, () -> outcomes(orderIds), found -> found.size() == orderIds.size());
  }

  private static Future<Map<String, String>> outcomes(List<String> orderIds) {
    return server
        .pg()
        .preparedQuery(
            """
            SELECT order_id, command_outcome, command_reason FROM participant_steps
             WHERE step = 'APPLY_POINTS' AND order_id = ANY($1::text[]) AND command_outcome IS NOT NULL""")
        .execute(Tuple.of((Object) orderIds.toArray(String[]::new)))
        .map(
            rows -> {
              Map<String, String> found = new HashMap<>();
              for (Row row : rows) {
                String outcome = row.getString("command_outcome");
                found.put(
                    row.getString("order_id"),
                    "SUCCESS".equals(outcome)
                        ? outcome
                        : outcome + ":" + row.getString("command_reason"));
              }
              return found;
            });
  }

  /** points, the ledger's sum and its DEDUCT rows for the user. */
  private static Future<Map<String, Long>> userFacts(long userId) {
    return server
        .pg()
        .preparedQuery(
            """
            SELECT u.points,
                   (SELECT COALESCE(sum(amount), 0) FROM point_ledger WHERE user_id = u.id) AS ledger_sum,
                   (SELECT count(*) FROM point_ledger WHERE user_id = u.id AND kind = 'DEDUCT') AS deducts
              FROM users u WHERE u.id = $1""")
        .execute(Tuple.of(userId))
        .map(
            rows -> {
              Row row = rows.iterator().next();
              return Map.of(
                  "points",
                  row.getLong("points"),
                  "ledgerSum",
                  row.getLong("ledger_sum"),
                  "deducts",
                  row.getLong("deducts"));
            });
  }

  private static void checkPaidThree(Map<String, String> outcomes, Map<String, Long> facts) {
    assertThat(outcomes.values().stream().filter("SUCCESS"::equals).count()).isEqualTo(3);
    assertThat(outcomes.values().stream().filter("FAILED:INSUFFICIENT_POINTS"::equals).count())
        .isEqualTo(ORDERS - 3);
    assertThat(facts.get("points")).isEqualTo(50);
    assertThat(facts.get("deducts")).isEqualTo(3);
    // createUsers writes the starting balance without a ledger row: start + sum(ledger) == points.
    assertThat(3 * PRICE + 50 + facts.get("ledgerSum")).isEqualTo(facts.get("points"));
  }
}
