package avalanche.infra;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.pgclient.PgBuilder;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

import java.util.HashMap;
import java.util.Map;

/** Builds the clients of the real parts from the resolved config tree. */
public final class Clients {
  private Clients() {}

  /**
   * Statements are prepared once per connection and cached. PostgreSQL would switch a cached statement to a
   * generic plan costed with the statistics of that moment: a plan made while a table was still empty (a fresh
   * database at the start of a drop) seq-scans it for the life of the connection, however large it grows. The
   * batch statements run once per round, not per order, so planning each execution costs little.
   */
  public static Pool pg(Vertx vertx, JsonObject config) {
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(config.getJsonObject("pg").getInteger("maxPoolSize", 8)))
        .connectingTo(PgUrl.parse(AppConfig.text(config, "pg.url")).connectOptions()
            .addProperty("plan_cache_mode", "force_custom_plan"))
        .using(vertx)
        .build();
  }

  public static Redis redis(Vertx vertx, JsonObject config) {
    return Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(AppConfig.text(config, "redis.url"))
        .setMaxPoolSize(config.getJsonObject("redis").getInteger("maxPoolSize", 16))
        .setMaxPoolWaiting(10_000)
        .setMaxWaitingHandlers(100_000));
  }

  public static Map<String, String> kafkaProducerConfig(JsonObject config) {
    Map<String, String> props = new HashMap<>();
    props.put("bootstrap.servers", AppConfig.text(config, "kafka.bootstrap"));
    props.put("acks", "all");
    props.put("enable.idempotence", "true");
    props.put("linger.ms", "1");
    props.put("compression.type", "none");
    props.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
    props.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
    return props;
  }

  /** Admin calls give up after 5 s: their callers (health check, sweeper) answer or retry rather than wait. */
  public static Map<String, String> kafkaAdminConfig(JsonObject config) {
    return Map.of("bootstrap.servers", AppConfig.text(config, "kafka.bootstrap"),
        "request.timeout.ms", "5000", "default.api.timeout.ms", "5000");
  }

  public static Map<String, String> kafkaConsumerConfig(JsonObject config, String groupId) {
    Map<String, String> props = new HashMap<>();
    props.put("bootstrap.servers", AppConfig.text(config, "kafka.bootstrap"));
    props.put("group.id", groupId);
    props.put("auto.offset.reset", "earliest");
    // At-least-once: offsets are committed by the consumer loop only after its batch was processed.
    props.put("enable.auto.commit", "false");
    props.put("max.poll.records", String.valueOf(config.getJsonObject("kafka").getInteger("maxPollRecords", 500)));
    props.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    props.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    return props;
  }

  /**
   * The purchase route's producer, one per process: it is called straight from the event loops, so it must
   * never wait long inside {@code send} (metadata is fetched before serving, see {@code OrderHandoff.warmUp}),
   * and a record Kafka cannot take in 10 s fails, so the shopper hears 503 instead of waiting.
   */
  public static KafkaProducer<String, byte[]> handoffProducer(Vertx vertx, JsonObject config) {
    Map<String, String> props = kafkaProducerConfig(config);
    props.put("max.block.ms", "200");
    props.put("request.timeout.ms", "5000");
    props.put("delivery.timeout.ms", "10000");
    // One order.requested per order, so its key need not pick the partition: sticky partitioning fills one
    // batch at a time, and the broker handles a few large batches instead of one tiny batch per record.
    props.put("partitioner.ignore.keys", "true");
    props.put("linger.ms", "2");
    return KafkaProducer.createShared(vertx, "avalanche.handoff", props);
  }

  /** One producer per process, shared by every verticle instance so records batch together. */
  public static KafkaProducer<String, byte[]> sharedProducer(Vertx vertx, JsonObject config) {
    return KafkaProducer.createShared(vertx, "avalanche", kafkaProducerConfig(config));
  }
}
