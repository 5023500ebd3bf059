package avalanche.infra.kafka;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.kafka.client.producer.KafkaProducer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sends many records at once over the (shared) producer's Kafka client: one hand-off to a worker
 * thread for the whole list instead of one per record, and one completion back on the caller's
 * context once Kafka acknowledged every record (or the first failure). The Kafka client's own send
 * may block (metadata, a full buffer), hence the worker thread; its callbacks run on the client's
 * network thread, hence the hop back.
 */
public final class KafkaBatchSender {
  private final Vertx vertx;
  private final Producer<String, byte[]> producer;

  public KafkaBatchSender(Vertx vertx, KafkaProducer<String, byte[]> producer) {
    this.vertx = vertx;
    this.producer = producer.unwrap();
  }

  /**
   * Completes, on the calling context, when every record was acknowledged; fails on the first
   * failure.
   */
  public Future<Void> sendAll(List<ProducerRecord<String, byte[]>> records) {
    if (records.isEmpty()) {
      return Future.succeededFuture();
    }
    Context context = vertx.getOrCreateContext();
    Promise<Void> acked = Promise.promise();
    AtomicInteger left = new AtomicInteger(records.size());
    vertx
        .executeBlocking(
            () -> {
              for (ProducerRecord<String, byte[]> record : records) {
                producer.send(
                    record,
                    (metadata, error) -> {
                      if (error != null) {
                        if (left.getAndSet(-1) > 0) {
                          context.runOnContext(v -> acked.tryFail(error));
                        }
                      } else if (left.decrementAndGet() == 0) {
                        context.runOnContext(v -> acked.tryComplete());
                      }
                    });
              }
              return null;
            },
            false)
        .onFailure(
            e -> {
              if (left.getAndSet(-1) > 0) {
                acked.tryFail(e);
              }
            });
    return acked.future();
  }
}
