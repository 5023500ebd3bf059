package avalanche.verticles;

import avalanche.infra.Clients;
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

  protected abstract Participant participant();

  /** Releases what {@link #participant()} opened. */
  protected Future<?> closeParticipant() {
    return Future.succeededFuture();
  }

  @Override
  public Future<?> start() {
    pg = Clients.pg(vertx, config());
    producer = Clients.sharedProducer(vertx, config());
    ParticipantHandler handler =
        new ParticipantHandler(pg, new KafkaBatchSender(vertx, producer), participant());
    return BatchConsumer.start(vertx, config(), group(), Set.of(topic()), producer, handler)
        .onSuccess(started -> consumer = started);
  }

  @Override
  public Future<?> stop() {
    Future<Void> stopped = consumer == null ? Future.succeededFuture() : consumer.stop();
    return stopped.eventually(() -> Future.join(pg.close(), producer.close(), closeParticipant()));
  }
}
