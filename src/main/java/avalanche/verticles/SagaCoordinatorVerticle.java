package avalanche.verticles;

import avalanche.infra.Clients;
import avalanche.infra.Periodic;
import avalanche.infra.config.SagaSettings;
import avalanche.infra.config.Settings;
import avalanche.infra.kafka.BatchConsumer;
import avalanche.infra.kafka.KafkaBatchSender;
import avalanche.infra.kafka.Topics;
import avalanche.saga.CommandBus;
import avalanche.saga.SagaAdmission;
import avalanche.saga.SagaCoordinator;
import avalanche.saga.SagaScanner;
import avalanche.saga.SagaStore;
import avalanche.saga.StockConfirmer;
import avalanche.user.PiiCipher;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.sqlclient.Pool;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The saga coordinator: consumes {@code order.requested} and {@code saga.replies} (group {@code
 * saga-coordinator}; instances and processes split the partitions) and scans PostgreSQL for sagas
 * whose due time passed (timeouts, retries), so sagas owned by a stopped instance still finish.
 */
public class SagaCoordinatorVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(SagaCoordinatorVerticle.class);
  public static final String GROUP = "saga-coordinator";

  private Pool pg;
  private KafkaProducer<String, byte[]> producer;
  private BatchConsumer<Object> consumer;
  private StockConfirmer stock;
  private Periodic scans;
  private Periodic admissions;

  @Override
  public Future<?> start() {
    Settings settings = Settings.from(config());
    SagaSettings saga = settings.saga();
    pg = Clients.pg(vertx, settings.pg());
    producer = Clients.sharedProducer(vertx, settings.kafka());
    SagaStore store =
        new SagaStore(
            pg,
            PiiCipher.of(settings),
            saga.timeoutSeconds(),
            saga.retrySeconds(),
            saga.redriveSeconds());
    stock = new StockConfirmer(Clients.redis(vertx, settings.redis()));
    SagaCoordinator coordinator =
        new SagaCoordinator(store, new CommandBus(new KafkaBatchSender(vertx, producer)), stock);
    SagaScanner scanner = new SagaScanner(store, coordinator);
    return stock
        .prepare()
        .compose(
            loaded -> {
              scans = Periodic.every(vertx, saga.scanIntervalMs(), LOG, "saga scan", scanner::pass);
              return BatchConsumer.start(
                  vertx,
                  settings.kafka(),
                  GROUP,
                  Set.of(Topics.ORDER_REQUESTED, Topics.SAGA_REPLIES),
                  producer,
                  coordinator);
            })
        .onSuccess(
            started -> {
              consumer = started;
              SagaAdmission admission = new SagaAdmission(store, started, saga.maxOpen());
              // a failed check leaves the gate as it was
              admissions =
                  Periodic.every(
                      vertx,
                      saga.admissionCheckMs(),
                      LOG,
                      "saga admission check",
                      admission::check);
            });
  }

  @Override
  public Future<?> stop() {
    if (scans != null) {
      scans.cancel();
    }
    if (admissions != null) {
      admissions.cancel();
    }
    Future<Void> stopped = consumer == null ? Future.succeededFuture() : consumer.stop();
    return stopped.eventually(() -> Future.join(pg.close(), producer.close(), stock.close()));
  }
}
