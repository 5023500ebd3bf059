package avalanche.infra.kafka;

import io.vertx.core.Future;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parks a record that cannot be processed on {@code dead.letters}: same key and bytes, and headers
 * naming where it came from and why ({@code dlt.topic}, {@code dlt.partition}, {@code dlt.offset},
 * {@code dlt.group}, {@code dlt.error}), so an operator can inspect or replay it.
 */
public final class DeadLetters {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
  private static final int MAX_ERROR_LENGTH = 1_000;

  private final KafkaProducer<String, byte[]> producer;

  public DeadLetters(KafkaProducer<String, byte[]> producer) {
    this.producer = producer;
  }

  public Future<Void> park(
      KafkaConsumerRecord<String, byte[]> record, String group, Throwable error) {
    String reason = String.valueOf(error.getMessage());
    if (reason.length() > MAX_ERROR_LENGTH) {
      reason = reason.substring(0, MAX_ERROR_LENGTH);
    }
    LOG.warn(
        "dead-lettering {}-{}@{} ({}): {}",
        record.topic(),
        record.partition(),
        record.offset(),
        group,
        reason);
    KafkaProducerRecord<String, byte[]> letter =
        KafkaProducerRecord.create(Topics.DEAD_LETTERS, record.key(), record.value())
            .addHeader("dlt.topic", record.topic())
            .addHeader("dlt.partition", Integer.toString(record.partition()))
            .addHeader("dlt.offset", Long.toString(record.offset()))
            .addHeader("dlt.group", group)
            .addHeader("dlt.error", reason);
    return producer.send(letter).mapEmpty();
  }
}
