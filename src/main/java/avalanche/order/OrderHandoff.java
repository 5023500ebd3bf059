package avalanche.order;

import avalanche.infra.AvroMessages;
import avalanche.infra.Topics;
import avalanche.messages.OrderRequested;
import io.vertx.core.Future;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;

/**
 * Makes a won reservation durable: the {@code order.requested} event (Avro {@link OrderRequested}), keyed by
 * order id, acknowledged by Kafka (acks=all, idempotent producer) before the shopper gets the 202.
 */
public final class OrderHandoff {
  private final KafkaProducer<String, byte[]> producer;

  public OrderHandoff(KafkaProducer<String, byte[]> producer) {
    this.producer = producer;
  }

  public Future<Void> publish(String orderId, long productId, long userId, long price, String shippingAddress,
                              long createdAt) {
    OrderRequested event = OrderRequested.newBuilder()
        .setOrderId(orderId).setProductId(productId).setUserId(userId).setPrice(price)
        .setShippingAddress(shippingAddress).setCreatedAt(createdAt)
        .build();
    return producer.send(KafkaProducerRecord.create(Topics.ORDER_REQUESTED, orderId, AvroMessages.encode(event::toByteBuffer)))
        .mapEmpty();
  }
}
