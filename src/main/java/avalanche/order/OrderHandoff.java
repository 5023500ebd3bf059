package avalanche.order;

import avalanche.infra.AvroMessages;
import avalanche.infra.Topics;
import avalanche.messages.OrderRequested;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.kafka.client.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;

/**
 * Makes a won reservation durable: the {@code order.requested} event (Avro {@link OrderRequested}), keyed by
 * order id, acknowledged by Kafka (acks=all, idempotent producer) before the shopper gets the 202.
 * <p>
 * Records go to the Kafka client straight from the event loop: {@code send} only appends to an in-memory
 * batch once the topic's metadata is known, which saves the worker-thread hop of the Vert.x wrapper.
 * The acknowledgement arrives on Kafka's I/O thread and is handed back to the caller's context.
 */
public final class OrderHandoff {
  private final KafkaProducer<String, byte[]> producer;
  private final Producer<String, byte[]> kafka;
  private static final long WARM_UP_MS = 30_000;
  private final Context context;

  /** Call from the verticle's start: acknowledgements are delivered on its context. */
  public OrderHandoff(KafkaProducer<String, byte[]> producer, Context context) {
    this.producer = producer;
    this.kafka = producer.unwrap();
    this.context = context;
  }

  /**
   * Fetches the topic's metadata (off the event loop), so no later {@code send} waits for it. One fetch gives
   * up after the producer's {@code max.block.ms} (200 ms), which a box busy starting (a core shared with the
   * embedded servers) can exceed: it is retried for up to {@value #WARM_UP_MS} ms.
   */
  public Future<Void> warmUp() {
    return warmUp(System.currentTimeMillis() + WARM_UP_MS);
  }

  private Future<Void> warmUp(long deadline) {
    return producer.partitionsFor(Topics.ORDER_REQUESTED).<Void>mapEmpty().recover(failure ->
        System.currentTimeMillis() >= deadline ? Future.failedFuture(failure)
            : context.owner().timer(100).compose(retry -> warmUp(deadline)));
  }

  public Future<Void> publish(String orderId, long productId, long userId, long price, String shippingAddress,
                              long createdAt) {
    OrderRequested event = OrderRequested.newBuilder()
        .setOrderId(orderId).setProductId(productId).setUserId(userId).setPrice(price)
        .setShippingAddress(shippingAddress).setCreatedAt(createdAt)
        .build();
    Promise<Void> acked = Promise.promise();
    try {
      kafka.send(new ProducerRecord<>(Topics.ORDER_REQUESTED, orderId, AvroMessages.encode(event::toByteBuffer)),
          (metadata, error) -> context.runOnContext(v -> {
            if (error == null) {
              acked.complete();
            } else {
              acked.fail(error);
            }
          }));
    } catch (KafkaException e) {
      acked.fail(e);
    }
    return acked.future();
  }
}
