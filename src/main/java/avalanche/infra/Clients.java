package avalanche.infra;

import avalanche.infra.config.KafkaSettings;
import avalanche.infra.config.PgSettings;
import avalanche.infra.config.PgUrl;
import avalanche.infra.config.RedisSettings;
import avalanche.infra.redis.SlotBatches;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.pgclient.PgBuilder;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisReplicas;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.RedisClusterClient;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Builds the clients of the real parts from the resolved settings. */
public final class Clients {
  private Clients() {}

  /**
   * Statements are prepared once per connection and cached. PostgreSQL would switch a cached
   * statement to a generic plan costed with the statistics of that moment: a plan made while a
   * table was still empty (a fresh database at the start of a drop) seq-scans it for the life of
   * the connection, however large it grows. The batch statements run once per round, not per order,
   * so planning each execution costs little.
   */
  public static Pool pg(Vertx vertx, PgSettings settings) {
    return pg(vertx, settings, BACKGROUND_WAIT_MS);
  }

  /**
   * As {@link #pg(Vertx, PgSettings)} for an HTTP route: with PostgreSQL down or every connection
   * busy, a statement fails within {@link #PROMPT_MS} so the caller answers 503 instead of holding
   * the request.
   */
  public static Pool pgForRequests(Vertx vertx, PgSettings settings) {
    return pg(vertx, settings, PROMPT_MS);
  }

  /** Whole requests answer within 2 s while a dependency is down; each wait is kept under that. */
  public static final int PROMPT_MS = 1_500;

  /**
   * Background work (saga rounds, sweeps) may wait longer for a connection; its retries back off
   * anyway.
   */
  private static final int BACKGROUND_WAIT_MS = 10_000;

  private static Pool pg(Vertx vertx, PgSettings settings, int waitMs) {
    return PgBuilder.pool()
        .with(
            new PoolOptions()
                .setMaxSize(settings.maxPoolSize())
                .setConnectionTimeout(waitMs)
                .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        .with(new NetClientOptions().setConnectTimeout(PROMPT_MS))
        .connectingTo(
            PgUrl.parse(settings.requiredUrl())
                .connectOptions()
                .addProperty("plan_cache_mode", "force_custom_plan"))
        .using(vertx)
        .build();
  }

  static {
    // In cluster mode a keyless SCRIPT LOAD goes to every master (the client runs a command that
    // has a reducer
    // on each slot range's node): a script is loaded wherever a key may live. All nodes answer the
    // same SHA.
    RedisClusterClient.addReducer(Command.SCRIPT, answers -> answers.get(0));
  }

  /**
   * One Redis, or with {@code redis.cluster} a Redis Cluster client over the seed nodes of {@code
   * redis.url} (it learns the slot map from them, follows MOVED/ASK and retries
   * TRYAGAIN/CLUSTERDOWN). Writes and reads go to masters only: a drop reads what it just wrote.
   * The pool size is per node.
   */
  public static Redis redis(Vertx vertx, RedisSettings settings) {
    RedisOptions options =
        new RedisOptions()
            .setMaxPoolSize(settings.maxPoolSize())
            .setMaxPoolWaiting(10_000)
            .setNetClientOptions(
                new NetClientOptions()
                    .setConnectTimeout(PROMPT_MS)
                    .setTcpNoDelay(true)
                    .setTcpKeepAlive(true))
            .setMaxWaitingHandlers(100_000);
    if (!settings.cluster()) {
      return Redis.createClient(vertx, options.setConnectionString(settings.requiredUrl()));
    }
    options.setType(RedisClientType.CLUSTER).setUseReplicas(RedisReplicas.NEVER);
    settings.seeds().forEach(options::addConnectionString);
    return SlotBatches.of(Redis.createClient(vertx, options));
  }

  /**
   * The client of a {@code SUBSCRIBE} connection ({@code infra/redis/RedisFeed}). One Redis: {@code
   * client} itself. In a cluster a published message reaches every node, and a subscription must
   * stay on one connection, so it is a plain connection to one seed node; each new connection takes
   * the next seed, so a feed whose node died moves on.
   */
  public static Redis redisSubscriber(Vertx vertx, RedisSettings settings, Redis client) {
    if (!settings.cluster()) {
      return client;
    }
    List<Redis> seeds =
        settings.seeds().stream()
            .map(
                seed ->
                    Redis.createClient(
                        vertx,
                        new RedisOptions()
                            .setConnectionString(seed)
                            .setNetClientOptions(
                                new NetClientOptions()
                                    .setConnectTimeout(PROMPT_MS)
                                    .setTcpKeepAlive(true))))
            .toList();
    AtomicInteger next = new AtomicInteger();
    return new Redis() {
      @Override
      public Future<RedisConnection> connect() {
        return seeds.get(Math.floorMod(next.getAndIncrement(), seeds.size())).connect();
      }

      @Override
      public Future<Void> close() {
        return Future.join(seeds.stream().map(Redis::close).toList()).mapEmpty();
      }

      @Override
      public Future<Response> send(Request command) {
        return client.send(command);
      }

      @Override
      public Future<List<Response>> batch(List<Request> commands) {
        return client.batch(commands);
      }
    };
  }

  public static Map<String, String> kafkaProducerConfig(KafkaSettings settings) {
    Map<String, String> props = new HashMap<>();
    props.put("bootstrap.servers", settings.requiredBootstrap());
    props.put("acks", "all");
    props.put("enable.idempotence", "true");
    props.put("linger.ms", "1");
    props.put("compression.type", "none");
    props.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
    props.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
    return props;
  }

  /**
   * Admin calls give up after 5 s: their callers (health check, sweeper) answer or retry rather
   * than wait.
   */
  public static Map<String, String> kafkaAdminConfig(KafkaSettings settings) {
    return Map.of(
        "bootstrap.servers",
        settings.requiredBootstrap(),
        "request.timeout.ms",
        "5000",
        "default.api.timeout.ms",
        "5000");
  }

  public static Map<String, String> kafkaConsumerConfig(KafkaSettings settings, String groupId) {
    Map<String, String> props = new HashMap<>();
    props.put("bootstrap.servers", settings.requiredBootstrap());
    props.put("group.id", groupId);
    props.put("auto.offset.reset", "earliest");
    // At-least-once: offsets are committed by the consumer loop only after its batch was processed.
    props.put("enable.auto.commit", "false");
    props.put("max.poll.records", String.valueOf(settings.maxPollRecords()));
    // A process killed with -9 leaves the group when its session expires: 6 s (the broker's minimum
    // by
    // default) instead of 45 s, so its partitions move to the survivors within seconds.
    props.put("session.timeout.ms", "6000");
    props.put("heartbeat.interval.ms", "1500");
    props.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    props.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    return props;
  }

  /**
   * The outbox relay's producer settings ({@code order/OutboxRelay}; acks=all, idempotent): its
   * sends run on a worker thread, and every wait is bounded so that a relay that cannot reach Kafka
   * keeps re-reading its own entries well within the claim time ({@code outbox.claimIdleMs}, 10 s)
   * and no other relay takes them over while it lives: 2 s for the topic's metadata, 4 s for an
   * acknowledgement (then the relay retries the batch).
   */
  public static Map<String, String> relayProducerConfig(KafkaSettings settings) {
    Map<String, String> props = kafkaProducerConfig(settings);
    props.put("max.block.ms", "2000");
    props.put("request.timeout.ms", "3000");
    props.put("delivery.timeout.ms", "4000");
    // An idle relay must not forget the topic between two drops: the first batch would wait for its
    // metadata.
    props.put("metadata.max.idle.ms", Long.toString(java.time.Duration.ofDays(7).toMillis()));
    props.put("linger.ms", "1");
    return props;
  }

  /**
   * The relay's producer, one per process (shared by its relay instances, so their records batch
   * together).
   */
  public static KafkaProducer<String, byte[]> relayProducer(Vertx vertx, KafkaSettings settings) {
    return KafkaProducer.createShared(vertx, "avalanche.outbox", relayProducerConfig(settings));
  }

  /**
   * One producer per process, shared by every verticle instance so records batch together. Its
   * sends run on worker threads ({@code KafkaBatchSender}); with the broker away, a send that
   * cannot even learn the topic's partitions gives up after 5 s instead of holding a worker for a
   * minute. Records already taken are kept and delivered when the broker is back (within the
   * default two-minute delivery timeout).
   */
  public static KafkaProducer<String, byte[]> sharedProducer(Vertx vertx, KafkaSettings settings) {
    Map<String, String> props = kafkaProducerConfig(settings);
    props.put("max.block.ms", "5000");
    return KafkaProducer.createShared(vertx, "avalanche", props);
  }
}
