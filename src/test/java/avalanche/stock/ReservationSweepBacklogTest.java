package avalanche.stock;

import avalanche.App;
import avalanche.TestServer;
import avalanche.infra.Clients;
import avalanche.infra.Topics;
import avalanche.order.HandoffBacklog;
import avalanche.order.OrderIds;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.kafka.admin.OffsetSpec;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An expired reservation without an order row is released only when no handed-off order can still be waiting
 * for the saga: against real Kafka, Redis and PostgreSQL, one sweep pass at a time, with the backlog of a group
 * of the test's own. Reservations last 1 s; the server's periodic sweeper does not run here (hour-long interval).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class ReservationSweepBacklogTest {
  private static TestServer server;
  private static KafkaAdminClient admin;
  private static KafkaProducer<String, byte[]> producer;

  @BeforeAll
  static void start() {
    server = TestServer.start(new JsonObject()
        .put("drop", new JsonObject().put("reservationTtlSeconds", 1))
        .put("stock", new JsonObject().put("sweepIntervalMs", 3_600_000)));
    admin = KafkaAdminClient.create(server.vertx(), Clients.kafkaAdminConfig(server.app().config()));
    producer = KafkaProducer.create(server.vertx(), Clients.kafkaProducerConfig(server.app().config()));
  }

  @AfterAll
  static void stop() {
    App.await(Future.join(admin.close(), producer.close()));
    server.close();
  }

  @Test
  void anOrderWithoutARowIsReleasedOnlyOnceTheBacklogIsDrained(VertxTestContext test) {
    String group = "backlog-test-" + UUID.randomUUID();
    HandoffBacklog backlog = new HandoffBacklog(admin, group);
    ReservationSweep sweep = new ReservationSweep(server.vertx(), server.pg(), server.redis(), backlog, 200, 100_000, 300);
    server.createProduct("COMMON", 100, 3).compose(productId -> server.createUsers(1, 1_000).compose(users -> {
      String orderId = OrderIds.next(productId);
      return StockProbe.reserve(server.vertx(), productId, users.get(0), orderId)
          // A record the group has not taken up: the order may be waiting behind it.
          .compose(reserved -> producer.send(KafkaProducerRecord.create(Topics.ORDER_REQUESTED, "backlog-probe",
              new byte[] {0})))
          .compose(sent -> backlog.drained())
          .compose(drained -> {
            test.verify(() -> assertThat(drained).as("a record the group has not committed").isFalse());
            return server.vertx().timer(1_500).compose(expired -> sweep.run(System.currentTimeMillis()));
          })
          .compose(pass -> StockProbe.counters(server.redis(), productId).map(c -> {
            test.verify(() -> {
              assertThat(pass.postponed()).as("pushed back, not released").isPositive();
              assertThat(c.getLong("reserved")).isEqualTo(1);
              assertThat(c.getLong("available")).isEqualTo(2);
            });
            return c;
          }))
          .compose(c -> commitToEnd(group))
          .compose(committed -> backlog.drained())
          .compose(drained -> {
            test.verify(() -> assertThat(drained).as("the group committed every record").isTrue());
            // after the pushed-back deadline (pendingRecheckMs 300)
            return server.vertx().timer(500).compose(due -> sweep.run(System.currentTimeMillis()));
          })
          .compose(pass -> StockProbe.counters(server.redis(), productId).map(c -> {
            test.verify(() -> {
              assertThat(pass.released()).isPositive();
              assertThat(c.getLong("reserved")).isZero();
              assertThat(c.getLong("available")).isEqualTo(3);
              assertThat(StockProbe.balanced(c)).isTrue();
            });
            return c;
          }));
    })).onComplete(test.succeedingThenComplete());
  }

  /** What a coordinator of {@code group} does once it stored every order: commits at the end of each partition. */
  private static Future<?> commitToEnd(String group) {
    return admin.describeTopics(List.of(Topics.ORDER_REQUESTED)).compose(topics -> {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      topics.get(Topics.ORDER_REQUESTED).getPartitions()
          .forEach(p -> latest.put(new TopicPartition(Topics.ORDER_REQUESTED, p.getPartition()), OffsetSpec.LATEST));
      return admin.listOffsets(latest);
    }).compose(ends -> {
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      ends.forEach((tp, end) -> offsets.put(tp, new OffsetAndMetadata(end.getOffset(), "")));
      KafkaConsumer<String, byte[]> consumer =
          KafkaConsumer.create(server.vertx(), Clients.kafkaConsumerConfig(server.app().config(), group));
      return consumer.commit(offsets).eventually(consumer::close);
    });
  }
}
