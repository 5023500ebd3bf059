package avalanche.saga;

import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.infra.Clients;
import avalanche.infra.kafka.AvroMessages;
import avalanche.messages.SagaAction;
import avalanche.messages.SagaCommand;
import avalanche.messages.SagaReply;
import avalanche.messages.SagaStep;
import avalanche.messages.StepOutcome;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import io.vertx.kafka.client.producer.RecordMetadata;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What the saga tests share: buying, waiting for a terminal order, and reading the participants'
 * data.
 */
final class SagaTests {
  static final String ADDRESS = "1 Avalanche Road, Snowtown";

  private final TestServer server;

  SagaTests(TestServer server) {
    this.server = server;
  }

  /** POST purchase with an optional shipping address (null: no body). */
  Future<HttpResponse<Buffer>> purchase(long productId, long userId, String address) {
    var request =
        server
            .http()
            .post("/api/products/" + productId + "/purchase")
            .bearerTokenAuthentication(server.token(userId));
    return address == null
        ? request.send()
        : request.sendJsonObject(new JsonObject().put("shippingAddress", address));
  }

  /** Buys and returns the order id, failing unless the answer is 202. */
  Future<String> reserve(long productId, long userId, String address) {
    return purchase(productId, userId, address)
        .map(
            response -> {
              if (response.statusCode() != 202) {
                throw new IllegalStateException(
                    "expected 202, got " + response.statusCode() + " " + response.bodyAsString());
              }
              return response.bodyAsJsonObject().getString("orderId");
            });
  }

  Future<JsonObject> order(String orderId, long userId) {
    return server
        .http()
        .get("/api/orders/" + orderId)
        .bearerTokenAuthentication(server.token(userId))
        .send()
        .map(
            response -> {
              if (response.statusCode() != 200) {
                throw new IllegalStateException(
                    "order read: " + response.statusCode() + " " + response.bodyAsString());
              }
              return response.bodyAsJsonObject();
            });
  }

  /** Reads the order until it is COMPLETED or CANCELLED, for at most {@code maxMs}. */
  Future<JsonObject> terminal(String orderId, long userId, long maxMs) {
    return orderWhen(orderId, userId, maxMs, order -> !"PENDING".equals(order.getString("status")));
  }

  /** Reads the order until it passes {@code check}, for at most {@code maxMs}. */
  Future<JsonObject> orderWhen(
      String orderId, long userId, long maxMs, Predicate<JsonObject> check) {
    return Eventually.eventually(server.vertx(), maxMs, () -> order(orderId, userId), check);
  }

  /**
   * What the participants and the stock say about one order of {@code userId} for {@code
   * productId}.
   */
  record Facts(
      long points,
      Map<String, Long> ledger,
      String shipment,
      JsonObject stock,
      long completedOrders) {}

  /** The {@link Facts} of an order, read together (once it is terminal). */
  Future<Facts> facts(String orderId, long userId, long productId) {
    return Future.all(
            points(userId),
            ledger(orderId),
            shipment(orderId),
            stock(productId),
            completedOrders(productId))
        .map(
            all ->
                new Facts(
                    all.resultAt(0),
                    all.resultAt(1),
                    all.resultAt(2),
                    all.resultAt(3),
                    all.resultAt(4)));
  }

  Future<Long> points(long userId) {
    return server
        .pg()
        .preparedQuery("SELECT points FROM users WHERE id = $1")
        .execute(Tuple.of(userId))
        .map(rows -> rows.iterator().next().getLong(0));
  }

  /** kind → amount of the order's ledger rows, with the count of rows under "rows". */
  Future<Map<String, Long>> ledger(String orderId) {
    return server
        .pg()
        .preparedQuery("SELECT kind, amount FROM point_ledger WHERE order_id = $1")
        .execute(Tuple.of(orderId))
        .map(
            rows -> {
              Map<String, Long> kinds = new HashMap<>();
              for (Row row : rows) {
                kinds.merge(row.getString("kind"), row.getLong("amount"), Long::sum);
              }
              kinds.put("rows", (long) rows.size());
              return kinds;
            });
  }

  /** The order's shipment status, or null. */
  Future<String> shipment(String orderId) {
    return server
        .pg()
        .preparedQuery("SELECT status FROM shipments WHERE order_id = $1")
        .execute(Tuple.of(orderId))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
  }

  /** total, available, reserved, sold of the product, from the admin stats API. */
  Future<JsonObject> stock(long productId) {
    return server
        .adminToken()
        .compose(
            token ->
                server
                    .http()
                    .get("/api/admin/products/" + productId + "/stats")
                    .bearerTokenAuthentication(token)
                    .send())
        .map(HttpResponse::bodyAsJsonObject);
  }

  Future<Long> completedOrders(long productId) {
    return count(
        "SELECT count(*) FROM orders WHERE product_id = $1 AND status = 'COMPLETED'", productId);
  }

  /** The one number a {@code SELECT count(*) …} query answers, with {@code params} for $1, $2…. */
  Future<Long> count(String sql, Object... params) {
    return server
        .pg()
        .preparedQuery(sql)
        .execute(Tuple.from(params))
        .map(rows -> rows.iterator().next().getLong(0));
  }

  /**
   * Starts one more verticle (a participant or coordinator the test kept away) with the server's
   * config; its deployment id, to undeploy it.
   */
  Future<String> deploy(Supplier<? extends Deployable> verticle) {
    return server
        .vertx()
        .deployVerticle(verticle, new DeploymentOptions().setConfig(server.app().config()));
  }

  KafkaProducer<String, byte[]> producer() {
    return KafkaProducer.create(
        server.vertx(), Clients.kafkaProducerConfig(server.app().settings().kafka()));
  }

  static SagaCommand command(
      String orderId,
      long productId,
      long userId,
      long price,
      SagaStep step,
      SagaAction action,
      String address) {
    return SagaCommand.newBuilder()
        .setOrderId(orderId)
        .setStep(step)
        .setAction(action)
        .setProductId(productId)
        .setUserId(userId)
        .setPrice(price)
        .setShippingAddress(address)
        .setIssuedAt(System.currentTimeMillis())
        .build();
  }

  static SagaReply reply(
      String orderId, SagaStep step, SagaAction action, StepOutcome outcome, String reason) {
    return SagaReply.newBuilder()
        .setOrderId(orderId)
        .setStep(step)
        .setAction(action)
        .setOutcome(outcome)
        .setReason(reason)
        .setRepliedAt(System.currentTimeMillis())
        .build();
  }

  /**
   * Publishes the same record {@code times} times, one after the other; the last one's position.
   */
  static Future<RecordMetadata> publish(
      KafkaProducer<String, byte[]> producer, String topic, String key, byte[] value, int times) {
    Future<RecordMetadata> sent = producer.send(KafkaProducerRecord.create(topic, key, value));
    for (int i = 1; i < times; i++) {
      sent = sent.compose(previous -> producer.send(KafkaProducerRecord.create(topic, key, value)));
    }
    return sent;
  }

  /** Waits until consumer group {@code group} committed past {@code record}: it was processed. */
  Future<Void> consumed(String group, RecordMetadata record, long maxMs) {
    TopicPartition partition = new TopicPartition(record.getTopic(), record.getPartition());
    return Eventually.eventually(
            server.vertx(),
            maxMs,
            () ->
                server
                    .vertx()
                    .executeBlocking(
                        () -> {
                          try (Admin admin =
                              Admin.create(
                                  Map.of(
                                      AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                      server.app().settings().kafka().requiredBootstrap()))) {
                            OffsetAndMetadata committed =
                                admin
                                    .listConsumerGroupOffsets(group)
                                    .partitionsToOffsetAndMetadata()
                                    .get(10, TimeUnit.SECONDS)
                                    .get(partition);
                            return committed == null ? -1L : committed.offset();
                          }
                        }),
            committed -> committed > record.getOffset())
        .mapEmpty();
  }

  static byte[] bytes(SagaCommand command) {
    return AvroMessages.encode(command::toByteBuffer);
  }

  static byte[] bytes(SagaReply reply) {
    return AvroMessages.encode(reply::toByteBuffer);
  }
}
