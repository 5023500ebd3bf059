package avalanche.stock;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.App;
import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.infra.Clients;
import avalanche.infra.kafka.Topics;
import avalanche.infra.redis.RedisLink;
import avalanche.order.HandoffBacklog;
import avalanche.order.OrderIds;
import avalanche.order.TestRelay;
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
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An expired reservation without an order row is released only when its order can no longer be on
 * its way to the saga: out of its product's outbox, and then the coordinator group past every
 * record of {@code order.requested}. Against real Kafka, Redis and PostgreSQL, one sweep pass at a
 * time, with the backlog of a group of the test's own. Reservations last 1 s; the server's periodic
 * sweeper does not run here (hour-long interval), nor does its relay (the test starts one for its
 * product when the order is to leave the outbox).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class ReservationSweepBacklogTest {
  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject()
              .put("drop", new JsonObject().put("reservationTtlSeconds", 1))
              .put("stock", new JsonObject().put("sweepIntervalMs", 3_600_000))
              .put("verticles", new JsonObject().put("outboxRelay", 0)));

  private static KafkaAdminClient admin;

  @BeforeAll
  static void start() {
    admin =
        KafkaAdminClient.create(
            server.vertx(), Clients.kafkaAdminConfig(server.app().settings().kafka()));
  }

  @AfterAll
  static void stop() {
    App.await(admin.close());
  }

  @Test
  void anOrderWithoutARowIsReleasedOnlyOnceItLeftTheOutboxAndTheBacklogIsDrained(
      VertxTestContext test) {
    String group = "backlog-test-" + UUID.randomUUID();
    HandoffBacklog backlog = new HandoffBacklog(admin, group);
    StockScripts scripts = new StockScripts(new RedisLink(server.redis()), 60_000);
    ReservationSweep sweep =
        new ReservationSweep(server.pg(), server.redis(), scripts, backlog, 200, 100_000, 300);
    // No such user: the saga refuses the order (parks it on dead.letters), so it never gets a row,
    // and its unit must
    // come back, but only once it is certain that the order is not on its way any more.
    long nobody = 9_000_000_000L + ThreadLocalRandom.current().nextLong(1_000_000_000L);
    server
        .createProduct("COMMON", 100, 3)
        .compose(
            productId -> {
              String orderId = OrderIds.next(productId);
              return StockProbe.reserve(server.stock(), productId, nobody, orderId)
                  // The group is past every record, but the order has not even reached Kafka.
                  .compose(reserved -> commitToEnd(group))
                  .compose(committed -> backlog.drained())
                  .compose(
                      drained -> {
                        test.verify(() -> assertThat(drained).isTrue());
                        return server
                            .vertx()
                            .timer(1_500)
                            .compose(expired -> sweep.run(System.currentTimeMillis()));
                      })
                  .compose(
                      pass ->
                          StockProbe.counters(server.redis(), productId)
                              .map(
                                  c -> {
                                    test.verify(
                                        () -> {
                                          assertThat(pass.postponed())
                                              .as("in the outbox: pushed back, not released")
                                              .isPositive();
                                          assertThat(pass.released()).isZero();
                                          assertThat(c.getLong("reserved")).isEqualTo(1);
                                          assertThat(c.getLong("available")).isEqualTo(2);
                                        });
                                    return c;
                                  }))
                  // A relay takes it to order.requested, which the test's group has not taken up.
                  .compose(
                      c ->
                          TestRelay.deploy(
                              server, List.of(productId), TestRelay.settings(server, 10_000)))
                  .compose(
                      relay ->
                          Eventually.eventually(
                                  server.vertx(),
                                  30_000,
                                  () ->
                                      server
                                          .redis()
                                          .send(
                                              Request.cmd(Command.XLEN)
                                                  .arg(StockKeys.outbox(productId))),
                                  n -> n.toLong() == 0)
                              .compose(relayed -> relay.undeploy()))
                  .compose(v -> backlog.drained())
                  .compose(
                      drained -> {
                        test.verify(
                            () ->
                                assertThat(drained)
                                    .as("a record the group has not committed")
                                    .isFalse());
                        // after the pushed-back deadline (pendingRecheckMs 300)
                        return server
                            .vertx()
                            .timer(500)
                            .compose(due -> sweep.run(System.currentTimeMillis()));
                      })
                  .compose(
                      pass ->
                          StockProbe.counters(server.redis(), productId)
                              .map(
                                  c -> {
                                    test.verify(
                                        () -> {
                                          assertThat(pass.postponed())
                                              .as("in Kafka: pushed back, not released")
                                              .isPositive();
                                          assertThat(pass.released()).isZero();
                                          assertThat(c.getLong("reserved")).isEqualTo(1);
                                        });
                                    return c;
                                  }))
                  .compose(c -> commitToEnd(group))
                  .compose(committed -> backlog.drained())
                  .compose(
                      drained -> {
                        test.verify(
                            () ->
                                assertThat(drained)
                                    .as("the group committed every record")
                                    .isTrue());
                        return server
                            .vertx()
                            .timer(500)
                            .compose(due -> sweep.run(System.currentTimeMillis()));
                      })
                  .compose(
                      pass ->
                          Future.all(
                                  StockProbe.counters(server.redis(), productId),
                                  server
                                      .pg()
                                      .preparedQuery("SELECT count(*) FROM orders WHERE id = $1")
                                      .execute(Tuple.of(orderId))
                                      .map(rows -> rows.iterator().next().getLong(0)))
                              .map(
                                  all -> {
                                    JsonObject c = all.resultAt(0);
                                    test.verify(
                                        () -> {
                                          assertThat(all.<Long>resultAt(1))
                                              .as("the saga refused the order")
                                              .isZero();
                                          assertThat(pass.released()).isPositive();
                                          assertThat(c.getLong("reserved")).isZero();
                                          assertThat(c.getLong("available")).isEqualTo(3);
                                          assertThat(StockProbe.balanced(c)).isTrue();
                                        });
                                    return c;
                                  }));
            })
        .eventually(scripts::close)
        .onComplete(test.succeedingThenComplete());
  }

  /**
   * What a coordinator of {@code group} does once it stored every order: commits at the end of each
   * partition.
   */
  private static Future<?> commitToEnd(String group) {
    return admin
        .describeTopics(List.of(Topics.ORDER_REQUESTED))
        .compose(
            topics -> {
              Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
              topics
                  .get(Topics.ORDER_REQUESTED)
                  .getPartitions()
                  .forEach(
                      p ->
                          latest.put(
                              new TopicPartition(Topics.ORDER_REQUESTED, p.getPartition()),
                              OffsetSpec.LATEST));
              return admin.listOffsets(latest);
            })
        .compose(
            ends -> {
              Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
              ends.forEach(
                  (tp, end) -> offsets.put(tp, new OffsetAndMetadata(end.getOffset(), "")));
              KafkaConsumer<String, byte[]> consumer =
                  KafkaConsumer.create(
                      server.vertx(),
                      Clients.kafkaConsumerConfig(server.app().settings().kafka(), group));
              return consumer.commit(offsets).eventually(consumer::close);
            });
  }
}
