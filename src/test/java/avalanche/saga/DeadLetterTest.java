package avalanche.saga;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.infra.Clients;
import avalanche.infra.kafka.Topics;
import avalanche.messages.SagaAction;
import avalanche.messages.SagaStep;
import avalanche.messages.StepOutcome;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.producer.KafkaHeader;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.RecordMetadata;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Payloads a consumer cannot read — garbage, the old JSON format, a record of another Avro type, a
 * record cut short, a reply for no saga — are parked on {@code dead.letters} with where they came
 * from and why, and every consumer goes on with the next record.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class DeadLetterTest {
  @RegisterExtension static final TestServer server = TestServer.extension();
  private static final SagaTests saga = new SagaTests(server);
  private static KafkaProducer<String, byte[]> producer;
  private static KafkaConsumer<String, byte[]> letters;
  private static final Map<String, KafkaConsumerRecord<String, byte[]>> PARKED =
      new ConcurrentHashMap<>();

  @BeforeAll
  static void start() {
    producer = saga.producer();
    letters =
        KafkaConsumer.create(
            server.vertx(),
            Clients.kafkaConsumerConfig(
                server.app().settings().kafka(), "dead-letter-test-" + UUID.randomUUID()));
    letters.handler(
        record -> {
          if (record.key() != null) {
            PARKED.put(record.key(), record);
          }
        });
    avalanche.App.await(letters.subscribe(Topics.DEAD_LETTERS));
  }

  @AfterAll
  static void stop() {
    avalanche.App.await(Future.join(letters.close(), producer.close()));
  }

  @Test
  void unreadablePayloadsAreParkedAndTheConsumersGoOn(VertxTestContext test) {
    String run = UUID.randomUUID().toString();
    byte[] reply =
        SagaTests.bytes(
            SagaTests.reply(
                "01a2000000000000000000aaaa-1",
                SagaStep.APPLY_POINTS,
                SagaAction.COMMAND,
                StepOutcome.SUCCESS,
                null));
    byte[] command =
        SagaTests.bytes(
            SagaTests.command(
                "01a2000000000000000000aaaa-1",
                1,
                1,
                1,
                SagaStep.APPLY_POINTS,
                SagaAction.COMMAND,
                null));
    Map<String, Object[]> poison = new LinkedHashMap<>();
    poison.put(
        run + "-garbage-order",
        new Object[] {Topics.ORDER_REQUESTED, "not avro".getBytes(StandardCharsets.UTF_8)});
    poison.put(
        run + "-json-order",
        new Object[] {
          Topics.ORDER_REQUESTED,
          new JsonObject().put("orderId", "x").put("price", 1).toBuffer().getBytes()
        });
    poison.put(
        run + "-garbage-reply",
        new Object[] {Topics.SAGA_REPLIES, new byte[] {(byte) 0xC3, 1, 9, 9, 9}});
    poison.put(run + "-unknown-saga", new Object[] {Topics.SAGA_REPLIES, reply});
    poison.put(run + "-reply-as-command", new Object[] {Topics.POINT_COMMANDS, reply});
    poison.put(
        run + "-cut-command",
        new Object[] {Topics.SHIPPING_COMMANDS, Arrays.copyOf(command, command.length - 9)});
    poison.put(run + "-wrong-topic", new Object[] {Topics.STOCK_COMMANDS, command});
    poison.put(run + "-empty", new Object[] {Topics.POINT_COMMANDS, new byte[0]});

    Future<Map<String, RecordMetadata>> sent = Future.succeededFuture(new LinkedHashMap<>());
    for (var entry : poison.entrySet()) {
      sent =
          sent.compose(
              positions ->
                  SagaTests.publish(
                          producer,
                          (String) entry.getValue()[0],
                          entry.getKey(),
                          (byte[]) entry.getValue()[1],
                          1)
                      .map(
                          position -> {
                            positions.put(entry.getKey(), position);
                            return positions;
                          }));
    }
    sent.compose(
            positions ->
                Eventually.eventually(
                        server.vertx(),
                        30_000,
                        () -> Future.succeededFuture(PARKED.keySet()),
                        parked -> parked.containsAll(poison.keySet()))
                    .map(
                        parked -> {
                          test.verify(
                              () -> {
                                for (var entry : poison.entrySet()) {
                                  KafkaConsumerRecord<String, byte[]> letter =
                                      PARKED.get(entry.getKey());
                                  RecordMetadata original = positions.get(entry.getKey());
                                  assertThat(header(letter, "dlt.topic"))
                                      .isEqualTo(entry.getValue()[0]);
                                  assertThat(header(letter, "dlt.partition"))
                                      .isEqualTo(Integer.toString(original.getPartition()));
                                  assertThat(header(letter, "dlt.offset"))
                                      .isEqualTo(Long.toString(original.getOffset()));
                                  assertThat(header(letter, "dlt.group")).isNotBlank();
                                  assertThat(header(letter, "dlt.error")).isNotBlank();
                                  assertThat(letter.value()).isEqualTo(entry.getValue()[1]);
                                }
                                assertThat(header(PARKED.get(run + "-unknown-saga"), "dlt.error"))
                                    .contains("unknown saga");
                              });
                          return parked;
                        }))
        // Every consumer kept going: a purchase after the poison settles normally.
        .compose(
            parked -> Future.all(server.createProduct("COMMON", 10, 1), server.createUsers(1, 100)))
        .compose(
            setup -> {
              long userId = setup.<List<Long>>resultAt(1).get(0);
              return saga.reserve(setup.resultAt(0), userId, SagaTests.ADDRESS)
                  .compose(orderId -> saga.terminal(orderId, userId, 20_000));
            })
        .map(
            order -> {
              test.verify(() -> assertThat(order.getString("status")).isEqualTo("COMPLETED"));
              return order;
            })
        .onComplete(test.succeedingThenComplete());
  }

  private static String header(KafkaConsumerRecord<String, byte[]> record, String name) {
    return record.headers().stream()
        .filter(h -> h.key().equals(name))
        .map(KafkaHeader::value)
        .map(value -> value.toString(StandardCharsets.UTF_8))
        .findFirst()
        .orElse(null);
  }
}
