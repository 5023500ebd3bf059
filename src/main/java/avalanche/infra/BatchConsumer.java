package avalanche.infra;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.KafkaConsumerRecords;
import io.vertx.kafka.client.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * At-least-once Kafka consumption for one verticle instance: poll a batch, process it, commit, poll again.
 * Nothing is committed before it was processed, so a crash replays at most the open batch and every handler
 * must be idempotent. Within a batch, records of one key (one order) run in order, different keys in
 * parallel. A {@link PoisonMessage} goes to the dead-letter topic at once; any other failure is retried with
 * backoff and dead-lettered after {@code kafka.maxAttempts}, so one bad record never blocks its partition.
 * (The consumer's {@code committed()} is never called: with kafka-clients 4 it does not complete.)
 */
public final class BatchConsumer {
  private static final Logger LOG = LoggerFactory.getLogger(BatchConsumer.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(250);
  private static final long MAX_BACKOFF_MS = 5_000;

  /** Processes one record; a failed future means "not done" (retried), a {@link PoisonMessage} "never". */
  @FunctionalInterface
  public interface RecordHandler {
    Future<Void> handle(KafkaConsumerRecord<String, byte[]> record);
  }

  private final Vertx vertx;
  private final String group;
  private final KafkaConsumer<String, byte[]> consumer;
  private final DeadLetters deadLetters;
  private final RecordHandler handler;
  private final int maxAttempts;
  private final Promise<Void> stopped = Promise.promise();
  private volatile boolean running = true;

  private BatchConsumer(Vertx vertx, JsonObject config, String group, KafkaProducer<String, byte[]> producer,
                        RecordHandler handler) {
    this.vertx = vertx;
    this.group = group;
    this.consumer = KafkaConsumer.create(vertx, Clients.kafkaConsumerConfig(config, group));
    this.deadLetters = new DeadLetters(producer);
    this.handler = handler;
    this.maxAttempts = config.getJsonObject("kafka").getInteger("maxAttempts", 8);
  }

  /** Subscribes {@code group} to {@code topics} and starts the loop on the caller's context. */
  public static Future<BatchConsumer> start(Vertx vertx, JsonObject config, String group, Set<String> topics,
                                            KafkaProducer<String, byte[]> producer, RecordHandler handler) {
    BatchConsumer loop = new BatchConsumer(vertx, config, group, producer, handler);
    loop.consumer.exceptionHandler(e -> LOG.warn("{}: Kafka consumer: {}", group, e.toString()));
    return loop.consumer.subscribe(topics).map(v -> {
      loop.next();
      return loop;
    });
  }

  /** Finishes the batch in hand, commits it, then leaves the group. */
  public Future<Void> stop() {
    running = false;
    return stopped.future().eventually(consumer::close);
  }

  private void next() {
    if (!running) {
      stopped.tryComplete();
      return;
    }
    consumer.poll(POLL_TIMEOUT).compose(this::processAndCommit).onComplete(done -> {
      if (done.succeeded()) {
        next();
      } else {
        LOG.warn("{}: batch not processed, will read it again: {}", group, done.cause().toString());
        vertx.setTimer(1_000, t -> next());
      }
    });
  }

  private Future<Void> processAndCommit(KafkaConsumerRecords<String, byte[]> records) {
    if (records.isEmpty()) {
      return Future.succeededFuture();
    }
    return process(records)
        .recover(failure -> rewind(records).transform(ignored -> Future.failedFuture(failure)))
        // A failed commit (a rebalance took the partitions) only means the new owner replays the batch.
        .compose(processed -> consumer.commit().recover(e -> {
          LOG.info("{}: commit refused ({}); the batch may be replayed", group, e.toString());
          return Future.succeededFuture();
        }));
  }

  private Future<Void> process(KafkaConsumerRecords<String, byte[]> records) {
    Map<String, List<KafkaConsumerRecord<String, byte[]>>> byKey = new LinkedHashMap<>();
    for (int i = 0; i < records.size(); i++) {
      KafkaConsumerRecord<String, byte[]> record = records.recordAt(i);
      String key = record.key() != null ? record.key()
          : "\u0000" + record.topic() + "/" + record.partition() + "@" + record.offset();
      byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(record);
    }
    List<Future<Void>> chains = new ArrayList<>(byKey.size());
    for (List<KafkaConsumerRecord<String, byte[]>> chain : byKey.values()) {
      Future<Void> done = Future.succeededFuture();
      for (KafkaConsumerRecord<String, byte[]> record : chain) {
        done = done.compose(v -> attempt(record, 1));
      }
      chains.add(done);
    }
    return Future.all(chains).mapEmpty();
  }

  private Future<Void> attempt(KafkaConsumerRecord<String, byte[]> record, int attempt) {
    Future<Void> handled;
    try {
      handled = handler.handle(record);
    } catch (RuntimeException e) {
      handled = Future.failedFuture(e);
    }
    return handled.recover(failure -> {
      if (failure instanceof PoisonMessage) {
        return deadLetters.park(record, group, failure);
      }
      if (!running) {
        // Stopping: leave the record uncommitted for the next owner rather than park it.
        return Future.failedFuture(failure);
      }
      if (attempt >= maxAttempts) {
        return deadLetters.park(record, group, failure);
      }
      long backoff = Math.min(MAX_BACKOFF_MS, 100L << Math.min(attempt - 1, 10));
      LOG.debug("{}: {}-{}@{} failed (attempt {}), retrying in {} ms: {}", group, record.topic(), record.partition(),
          record.offset(), attempt, backoff, failure.toString());
      return vertx.timer(backoff).compose(t -> attempt(record, attempt + 1));
    });
  }

  /** Puts every partition of the batch back to its first record, so the next poll reads the batch again. */
  private Future<Void> rewind(KafkaConsumerRecords<String, byte[]> records) {
    Map<TopicPartition, Long> first = new HashMap<>();
    for (int i = 0; i < records.size(); i++) {
      KafkaConsumerRecord<String, byte[]> record = records.recordAt(i);
      first.merge(new TopicPartition(record.topic(), record.partition()), record.offset(), Math::min);
    }
    List<Future<Void>> seeks = new ArrayList<>();
    first.forEach((partition, offset) -> seeks.add(consumer.seek(partition, offset)));
    return Future.join(seeks).mapEmpty();
  }
}
