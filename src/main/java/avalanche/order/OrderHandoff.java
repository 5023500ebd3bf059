package avalanche.order;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;

/**
 * Makes a won reservation durable: the {@code order.requested} event, keyed by order id, acknowledged by
 * Kafka (acks=all, idempotent producer) before the shopper gets the 202.
 */
public final class OrderHandoff {
  public static final String TOPIC = "order.requested";

  private final KafkaProducer<String, byte[]> producer;

  public OrderHandoff(KafkaProducer<String, byte[]> producer) {
    this.producer = producer;
  }

  public Future<Void> publish(String orderId, long productId, long userId, long price, String shippingAddress,
                              long createdAt) {
    JsonObject event = new JsonObject()
        .put("orderId", orderId).put("productId", productId).put("userId", userId).put("price", price)
        .put("shippingAddress", shippingAddress).put("createdAt", createdAt);
    return producer.send(KafkaProducerRecord.create(TOPIC, orderId, event.toBuffer().getBytes())).mapEmpty();
  }
}
