package avalanche.verticles;

import avalanche.infra.Clients;
import avalanche.infra.config.Settings;
import avalanche.infra.kafka.BatchConsumer;
import avalanche.infra.kafka.KafkaBatchSender;
import avalanche.messages.SagaCommand;
import avalanche.saga.Participant;
import avalanche.saga.ParticipantHandler;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.sqlclient.Pool;
import java.util.Set;

/**
 * A saga participant: consumes its command topic in its own consumer group (instances split the
 * partitions), runs each command or compensation once through {@link ParticipantHandler}, replies
 * on {@code saga.replies}.
 */
public abstract class ParticipantVerticle extends VerticleBase {
  private Pool pg;
  private KafkaProducer<String, byte[]> producer;
  private BatchConsumer<SagaCommand> consumer;

  /** The consumer group, one per participant role. */
  protected abstract String group();

  protected abstract String topic();

  protected abstract Participant participant(Settings settings);

  /** Releases what {@link #participant(Settings)} opened. */
  protected Future<?> closeParticipant() {
    return Future.succeededFuture();
  }

  @Override
  public Future<?> start() {
    Settings settings = Settings.from(config());
    pg = Clients.pg(vertx, settings.pg());
    producer = Clients.sharedProducer(vertx, settings.kafka());
    ParticipantHandler handler =
        new ParticipantHandler(pg, new KafkaBatchSender(vertx, producer), participant(settings));
    return BatchConsumer.start(vertx, settings.kafka(), group(), Set.of(topic()), producer, handler)
        .onSuccess(started -> consumer = started);
  }

  @Override
  public Future<?> stop() {
    Future<Void> stopped = consumer == null ? Future.succeededFuture() : consumer.stop();
    return stopped.eventually(() -> Future.join(pg.close(), producer.close(), closeParticipant()));
  }
}
