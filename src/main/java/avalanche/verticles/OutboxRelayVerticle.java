package avalanche.verticles;

import avalanche.infra.Clients;
import avalanche.infra.DropMetrics;
import avalanche.infra.config.Settings;
import avalanche.order.OutboxMetrics;
import avalanche.order.OutboxRelay;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.redis.client.Redis;

/**
 * Runs an {@link OutboxRelay} over every product of the index: won orders from the Redis outboxes
 * to {@code order.requested}. {@code verticles.outboxRelay} instances per process (1; 0 leaves the
 * job to other processes); any number of relays, in one process or many, may run at once.
 */
public class OutboxRelayVerticle extends VerticleBase {
  private Redis redis;
  private KafkaProducer<String, byte[]> producer;
  private OutboxRelay relay;

  @Override
  public Future<?> start() {
    Settings settings = Settings.from(config());
    redis = Clients.redis(vertx, settings.redis());
    producer = Clients.relayProducer(vertx, settings.kafka());
    relay =
        new OutboxRelay(
            vertx,
            redis,
            producer,
            OutboxRelay.indexedBuckets(redis),
            settings.outbox(),
            OutboxMetrics.of(DropMetrics.registry(settings)));
    return relay.start();
  }

  @Override
  public Future<?> stop() {
    return relay.stop().eventually(() -> Future.join(producer.close(), redis.close()));
  }
}
