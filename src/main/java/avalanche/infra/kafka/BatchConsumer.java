package avalanche.infra.kafka;

import avalanche.infra.Clients;
import avalanche.infra.Failures;
import avalanche.infra.config.KafkaSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.KafkaConsumerRecords;
import io.vertx.kafka.client.producer.KafkaProducer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At-least-once Kafka consumption for one verticle instance: poll a batch, process it, commit, poll
 * again. Nothing is committed before it was processed, so a crash replays at most the open batch
 * and every handler must be idempotent.
 *
 * <p>A polled batch is handed to the {@link BatchHandler} set-based, in rounds: round n holds the
 * n-th record of every key (one order), so records of one key run in order and a round holds one
 * record per key, unless the handler says consecutive records of a key may go together ({@link
 * BatchHandler#joins}). A record that does not decode ({@link PoisonMessage}) goes to the
 * dead-letter topic at once; so does one the handler marks as poisoned, or one whose processing
 * fails in a way that can never succeed ({@link Failures#permanent}). When a round fails as a
 * whole, its records are tried one by one (a round of one), so such a record is parked alone. Any
 * other failure is transient (PostgreSQL, Redis or Kafka away, NOSCRIPT, LOADING, a timeout): the
 * batch is read again from its first record after a backoff (100 ms doubling to 5 s, for as long as
 * it takes), its partitions paused meanwhile so the consumer keeps polling and stays in its group.
 * A transient failure never sends a record to the dead letters. (The consumer's {@code committed()}
 * is never called: with kafka-clients 4 it does not complete.)
 */
public final class BatchConsumer<T> {
  private static final Logger LOG = LoggerFactory.getLogger(BatchConsumer.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(250);
  private static final long MAX_BACKOFF_MS = 5_000;

  /**
   * A decoded record in a round; the handler may mark it poisoned (never processable:
   * dead-lettered).
   */
  public static final class Item<T> {
    private final KafkaConsumerRecord<String, byte[]> record;
    private final T value;
    private Throwable poison;

    Item(KafkaConsumerRecord<String, byte[]> record, T value) {
      this.record = record;
      this.value = value;
    }

    public KafkaConsumerRecord<String, byte[]> record() {
      return record;
    }

    public T value() {
      return value;
    }

    public void poison(Throwable why) {
      this.poison = why;
    }
  }

  /** Processes rounds of records, at most one per key in a round. */
  public interface BatchHandler<T> {
    /**
     * Decodes and checks one record; throws {@link PoisonMessage} when it can never be processed.
     */
    T decode(KafkaConsumerRecord<String, byte[]> record);

    /**
     * Processes every item of the round (distinct keys); a failed future means "none of them is
     * known to be done" (they are retried one by one), a failure that is a {@link PoisonMessage}
     * for a round of one means "never". Items the handler marked poisoned are dead-lettered after
     * it succeeded.
     */
    Future<Void> handle(List<Item<T>> round);

    /**
     * Whether {@code next}, the following record of a key, may be handled in the same round as
     * {@code group}, the records of that key already in it (in order); the handler must then give
     * the same result as handling them one after the other. By default a round holds one record per
     * key.
     */
    default boolean joins(List<T> group, T next) {
      return false;
    }
  }

  private final Vertx vertx;
  private final String group;
  private final KafkaConsumer<String, byte[]> consumer;
  private final DeadLetters deadLetters;
  private final BatchHandler<T> handler;
  private final Promise<Void> stopped = Promise.promise();
  private volatile boolean running = true;

  /** Topics the owner holds back ({@link #pause}); a backoff's end does not resume them. */
  private final Set<String> held = new HashSet<>();

  /** Consecutive batches that failed; 0 when the last one was processed. */
  private int failures;

  /** While backing off: when the paused partitions are fetched again; 0 otherwise. */
  private long resumeAt;

  // Activity since the last stats line (DEBUG, every 10 s while records come).
  private long statBatches;
  private long statRecords;
  private long statRounds;
  private long statBusyNanos;
  private long statSince = System.nanoTime();

  private BatchConsumer(
      Vertx vertx,
      KafkaSettings kafka,
      String group,
      KafkaProducer<String, byte[]> producer,
      BatchHandler<T> handler) {
    this.vertx = vertx;
    this.group = group;
    this.consumer = KafkaConsumer.create(vertx, Clients.kafkaConsumerConfig(kafka, group));
    this.deadLetters = new DeadLetters(producer);
    this.handler = handler;
  }

  /** Subscribes {@code group} to {@code topics} and starts the loop on the caller's context. */
  public static <T> Future<BatchConsumer<T>> start(
      Vertx vertx,
      KafkaSettings kafka,
      String group,
      Set<String> topics,
      KafkaProducer<String, byte[]> producer,
      BatchHandler<T> handler) {
    BatchConsumer<T> loop = new BatchConsumer<>(vertx, kafka, group, producer, handler);
    loop.consumer.exceptionHandler(e -> LOG.warn("{}: Kafka consumer: {}", group, e.toString()));
    return loop.consumer
        .subscribe(topics)
        .map(
            v -> {
              loop.next();
              return loop;
            });
  }

  /** Finishes the batch in hand, commits it, then leaves the group. */
  public Future<Void> stop() {
    running = false;
    return stopped.future().eventually(consumer::close);
  }

  /**
   * Stops fetching the partitions of {@code topic} assigned now (records already polled are still
   * processed); partitions assigned later by a rebalance are not paused, so a caller holding a
   * topic back calls this again.
   */
  public Future<Void> pause(String topic) {
    held.add(topic);
    return consumer.assignment().compose(assigned -> consumer.pause(ofTopic(assigned, topic)));
  }

  /**
   * Fetches the paused partitions of {@code topic} again, from where they stopped (after a backoff,
   * if one runs).
   */
  public Future<Void> resume(String topic) {
    held.remove(topic);
    if (resumeAt != 0) {
      return Future.succeededFuture();
    }
    return consumer.paused().compose(paused -> consumer.resume(ofTopic(paused, topic)));
  }

  private static Set<TopicPartition> ofTopic(Set<TopicPartition> partitions, String topic) {
    Set<TopicPartition> mine = new HashSet<>();
    for (TopicPartition partition : partitions) {
      if (topic.equals(partition.getTopic())) {
        mine.add(partition);
      }
    }
    return mine;
  }

  private void next() {
    if (!running) {
      stopped.tryComplete();
      return;
    }
    consumer
        .poll(POLL_TIMEOUT)
        .compose(this::processAndCommit)
        .onComplete(
            done -> {
              if (done.succeeded()) {
                next();
              } else {
                LOG.warn(
                    "{}: poll failed, polling again in 1 s: {}", group, done.cause().toString());
                vertx.setTimer(1_000, t -> next());
              }
            });
  }

  private Future<Void> processAndCommit(KafkaConsumerRecords<String, byte[]> records) {
    if (records.isEmpty()) {
      return resumeAt != 0 && System.currentTimeMillis() >= resumeAt
          ? endBackoff()
          : Future.succeededFuture();
    }
    long began = System.nanoTime();
    return process(records)
        .onComplete(done -> stats(records.size(), began))
        .compose(
            processed -> {
              failures = 0;
              // A failed commit (a rebalance took the partitions) only means the new owner replays
              // the batch.
              return consumer
                  .commit()
                  .recover(
                      e -> {
                        LOG.info(
                            "{}: commit refused ({}); the batch may be replayed",
                            group,
                            e.toString());
                        return Future.succeededFuture();
                      });
            },
            failure -> backOff(records, failure));
  }

  /**
   * A transient failure: every partition of the batch goes back to its first record and every
   * assigned partition is paused until the backoff ends, while the loop keeps polling (nothing
   * comes) so the consumer stays in its group however long the outage lasts.
   */
  private Future<Void> backOff(KafkaConsumerRecords<String, byte[]> records, Throwable failure) {
    failures++;
    long backoff = Math.min(MAX_BACKOFF_MS, 100L << Math.min(failures - 1, 10));
    // The first failure and then one line a minute or so: an outage is worth a line, not thousands.
    if (failures == 1 || failures % 12 == 0) {
      LOG.warn(
          "{}: batch not processed ({} time(s) in a row), reading it again in {} ms: {}",
          group,
          failures,
          backoff,
          failure.toString());
    }
    resumeAt = System.currentTimeMillis() + backoff;
    return rewind(records)
        .compose(v -> consumer.assignment())
        .compose(consumer::pause)
        .recover(
            e -> {
              LOG.info(
                  "{}: could not rewind or pause ({}); the batch may be read again at once",
                  group,
                  e.toString());
              return Future.succeededFuture();
            });
  }

  /**
   * The backoff is over: fetches every paused partition again but those of topics the owner holds
   * back.
   */
  private Future<Void> endBackoff() {
    resumeAt = 0;
    return consumer
        .paused()
        .compose(
            paused -> {
              Set<TopicPartition> resumed = new HashSet<>();
              for (TopicPartition partition : paused) {
                if (!held.contains(partition.getTopic())) {
                  resumed.add(partition);
                }
              }
              return consumer.resume(resumed);
            });
  }

  private void stats(int records, long began) {
    long now = System.nanoTime();
    statBatches++;
    statRecords += records;
    statBusyNanos += now - began;
    if (now - statSince >= 10_000_000_000L) {
      if (LOG.isDebugEnabled()) {
        LOG.debug(
            "{}: {} records in {} batches ({} rounds) over {} ms, {} ms processing",
            group,
            statRecords,
            statBatches,
            statRounds,
            (now - statSince) / 1_000_000,
            statBusyNanos / 1_000_000);
      }
      statBatches = 0;
      statRecords = 0;
      statRounds = 0;
      statBusyNanos = 0;
      statSince = now;
    }
  }

  private Future<Void> process(KafkaConsumerRecords<String, byte[]> records) {
    List<Future<Void>> parked = new ArrayList<>();
    List<Item<T>> items = new ArrayList<>(records.size());
    for (int i = 0; i < records.size(); i++) {
      KafkaConsumerRecord<String, byte[]> record = records.recordAt(i);
      try {
        items.add(new Item<>(record, handler.decode(record)));
      } catch (PoisonMessage e) {
        parked.add(deadLetters.park(record, group, e));
      } catch (RuntimeException e) {
        parked.add(deadLetters.park(record, group, new PoisonMessage("does not decode", e)));
      }
    }
    List<List<Item<T>>> rounds =
        Rounds.of(
            items,
            item -> key(item.record),
            (before, next) ->
                handler.joins(before.stream().map(Item::value).toList(), next.value()));
    statRounds += rounds.size();
    Future<Void> done = Future.succeededFuture();
    for (List<Item<T>> round : rounds) {
      done = done.compose(v -> round(round));
    }
    parked.add(done);
    return Future.join(parked).mapEmpty();
  }

  /** Records of one key keep their order; a record without a key is a key of its own. */
  private static String key(KafkaConsumerRecord<String, byte[]> record) {
    return record.key() != null
        ? record.key()
        : "\u0000" + record.topic() + "/" + record.partition() + "@" + record.offset();
  }

  /**
   * One round: set-based first; if that fails, record by record (in order per key), so a record
   * that can never be processed is parked alone and the others go through. A transient failure
   * fails the round (and so the batch, which is read again after a backoff).
   */
  private Future<Void> round(List<Item<T>> items) {
    return Rounds.allThenEach(
        items,
        round ->
            handleRound(round)
                .onFailure(
                    failure -> {
                      if (round.size() > 1) {
                        LOG.debug(
                            "{}: round of {} failed, one by one now: {}",
                            group,
                            round.size(),
                            failure.toString());
                      }
                    }),
        item -> key(item.record),
        this::parkIfPermanent);
  }

  /** Runs the handler on {@code items}, then parks those it marked poisoned. */
  private Future<Void> handleRound(List<Item<T>> items) {
    for (Item<T> item : items) {
      item.poison = null;
    }
    Future<Void> handled;
    try {
      handled = handler.handle(items);
    } catch (RuntimeException e) {
      handled = Future.failedFuture(e);
    }
    return handled.compose(
        v -> {
          List<Future<Void>> parked = new ArrayList<>();
          for (Item<T> item : items) {
            if (item.poison != null) {
              parked.add(deadLetters.park(item.record, group, item.poison));
            }
          }
          return parked.isEmpty() ? Future.succeededFuture() : Future.join(parked).mapEmpty();
        });
  }

  /**
   * Parks a record whose processing can never succeed; any other failure is passed on, to be
   * retried.
   */
  private Future<Void> parkIfPermanent(Item<T> item, Throwable failure) {
    return Failures.permanent(failure)
        ? deadLetters.park(item.record, group, failure)
        : Future.failedFuture(failure);
  }

  /**
   * Puts every partition of the batch back to its first record, so the next poll reads the batch
   * again.
   */
  private Future<Void> rewind(KafkaConsumerRecords<String, byte[]> records) {
    Map<TopicPartition, Long> first = new HashMap<>();
    for (int i = 0; i < records.size(); i++) {
      KafkaConsumerRecord<String, byte[]> record = records.recordAt(i);
      first.merge(
          new TopicPartition(record.topic(), record.partition()), record.offset(), Math::min);
    }
    List<Future<Void>> seeks = new ArrayList<>();
    first.forEach((partition, offset) -> seeks.add(consumer.seek(partition, offset)));
    return Future.join(seeks).mapEmpty();
  }
}
