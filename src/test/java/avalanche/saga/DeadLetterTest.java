package avalanche.saga;

import static avalanche.App.await;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.infra.Clients;
import avalanche.infra.kafka.Topics;
import avalanche.messages.SagaAction;
import avalanche.messages.SagaStep;
import avalanche.messages.StepOutcome;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.producer.KafkaHeader;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.RecordMetadata;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Payloads a consumer cannot read — garbage, the old JSON format, a record of another Avro type, a
 * record cut short, a reply for no saga — are parked on {@code dead.letters} with where they came
 * from and why, and every consumer goes on with the next record.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeadLetterTest {
  @RegisterExtension static final TestServer server = TestServer.extension();
  private static final SagaTests saga = new SagaTests(server);
  private static KafkaProducer<String, byte[]> producer;
  private static KafkaConsumer<String, byte[]> letters;
  private static final Map<String, KafkaConsumerRecord<String, byte[]>> PARKED =
      new ConcurrentHashMap<>();

  /** A poison record: the topic it is sent to and its bytes. */
  private record Poison(String topic, Buffer value) {
    Poison(String topic, byte[] value) {
      this(topic, Buffer.buffer(value));
    }

    byte[] bytes() {
      return value.getBytes();
    }
  }

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
    await(letters.subscribe(Topics.DEAD_LETTERS));
  }

  @AfterAll
  static void stop() {
    await(Future.join(letters.close(), producer.close()));
  }

  @Test
  void unreadablePayloadsAreParkedAndTheConsumersGoOn() {
    String run = UUID.randomUUID().toString();
    Map<String, Poison> poison = poison(run);

    Map<String, RecordMetadata> positions = new LinkedHashMap<>();
    poison.forEach(
        (key, p) ->
            positions.put(key, await(SagaTests.publish(producer, p.topic(), key, p.bytes(), 1))));
    await(
        Eventually.eventually(
            server.vertx(),
            30_000,
            () -> Future.succeededFuture(PARKED.keySet()),
            parked -> parked.containsAll(poison.keySet())));

    poison.forEach(
        (key, p) -> {
          KafkaConsumerRecord<String, byte[]> letter = PARKED.get(key);
          RecordMetadata original = positions.get(key);
          assertThat(header(letter, "dlt.topic")).isEqualTo(p.topic());
          assertThat(header(letter, "dlt.partition"))
              .isEqualTo(Integer.toString(original.getPartition()));
          assertThat(header(letter, "dlt.offset")).isEqualTo(Long.toString(original.getOffset()));
          assertThat(header(letter, "dlt.group")).isNotBlank();
          assertThat(header(letter, "dlt.error")).isNotBlank();
          assertThat(letter.value()).isEqualTo(p.bytes());
        });
    assertThat(header(PARKED.get(run + "-unknown-saga"), "dlt.error")).contains("unknown saga");

    // Every consumer kept going: a purchase after the poison settles normally.
    long productId = await(server.createProduct("COMMON", 10, 1));
    long userId = await(server.createUsers(1, 100)).get(0);
    String orderId = await(saga.reserve(productId, userId, SagaTests.ADDRESS));
    assertThat(await(saga.terminal(orderId, userId, 20_000)).getString("status"))
        .isEqualTo("COMPLETED");
  }

  /** Every kind of unreadable record, by key (unique to this run), in the order they are sent. */
  private static Map<String, Poison> poison(String run) {
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
    Map<String, Poison> poison = new LinkedHashMap<>();
    poison.put(
        run + "-garbage-order",
        new Poison(Topics.ORDER_REQUESTED, "not avro".getBytes(StandardCharsets.UTF_8)));
    poison.put(
        run + "-json-order",
        new Poison(
            Topics.ORDER_REQUESTED,
            new JsonObject().put("orderId", "x").put("price", 1).toBuffer()));
    poison.put(
        run + "-garbage-reply",
        new Poison(Topics.SAGA_REPLIES, new byte[] {(byte) 0xC3, 1, 9, 9, 9}));
    poison.put(run + "-unknown-saga", new Poison(Topics.SAGA_REPLIES, reply));
    poison.put(run + "-reply-as-command", new Poison(Topics.POINT_COMMANDS, reply));
    poison.put(
        run + "-cut-command",
        new Poison(Topics.SHIPPING_COMMANDS, Arrays.copyOf(command, command.length - 9)));
    poison.put(run + "-wrong-topic", new Poison(Topics.STOCK_COMMANDS, command));
    poison.put(run + "-empty", new Poison(Topics.POINT_COMMANDS, new byte[0]));
    return poison;
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
