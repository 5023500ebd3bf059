package avalanche.verticles;

import avalanche.infra.BatchConsumer;
import avalanche.infra.Clients;
import avalanche.infra.KafkaBatchSender;
import avalanche.infra.Topics;
import avalanche.saga.CommandBus;
import avalanche.saga.SagaAdmission;
import avalanche.saga.SagaCoordinator;
import avalanche.saga.SagaSnapshot;
import avalanche.saga.SagaStore;
import avalanche.saga.StockConfirmer;
import avalanche.user.PiiCipher;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;

/**
 * The saga coordinator: consumes {@code order.requested} and {@code saga.replies} (group
 * {@code saga-coordinator}; instances and processes split the partitions) and scans PostgreSQL for sagas
 * whose due time passed (timeouts, retries), so sagas owned by a stopped instance still finish.
 */
public class SagaCoordinatorVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(SagaCoordinatorVerticle.class);
  public static final String GROUP = "saga-coordinator";
  private static final int SCAN_BATCH = 200;

  private Pool pg;
  private KafkaProducer<String, byte[]> producer;
  private BatchConsumer<Object> consumer;
  private StockConfirmer stock;
  private SagaStore store;
  private SagaCoordinator coordinator;
  private long scanTimer;
  private boolean scanning;
  private long admissionTimer;
  private boolean admitting;

  @Override
  public Future<?> start() {
    JsonObject saga = config().getJsonObject("saga", new JsonObject());
    pg = Clients.pg(vertx, config());
    producer = Clients.sharedProducer(vertx, config());
    store = new SagaStore(pg, PiiCipher.fromConfig(config()), saga.getInteger("timeoutSeconds"),
        saga.getInteger("retrySeconds"), saga.getInteger("redriveSeconds"));
    stock = new StockConfirmer(Clients.redis(vertx, config()));
    coordinator = new SagaCoordinator(store, new CommandBus(new KafkaBatchSender(vertx, producer)), stock);
    return stock.prepare().compose(loaded -> {
      scanTimer = vertx.setPeriodic(saga.getLong("scanIntervalMs", 1_000L), t -> scan());
      return BatchConsumer.start(vertx, config(), GROUP, Set.of(Topics.ORDER_REQUESTED, Topics.SAGA_REPLIES),
          producer, coordinator);
    }).onSuccess(started -> {
      consumer = started;
      SagaAdmission admission = new SagaAdmission(store, started, saga.getInteger("maxOpen", 10_000));
      admissionTimer = vertx.setPeriodic(saga.getLong("admissionCheckMs", 500L), t -> admit(admission));
    });
  }

  private void admit(SagaAdmission admission) {
    if (admitting) {
      return;
    }
    admitting = true;
    admission.check().onComplete(done -> {
      admitting = false;
      if (done.failed()) {
        LOG.warn("saga admission check failed, gate left as it was: {}", done.cause().toString());
      }
    });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(scanTimer);
    vertx.cancelTimer(admissionTimer);
    Future<Void> stopped = consumer == null ? Future.succeededFuture() : consumer.stop();
    return stopped.eventually(() -> Future.join(pg.close(), producer.close(), stock.close()));
  }

  /** Claims overdue sagas and advances each; a full batch means more are waiting, so it goes on at once. */
  private void scan() {
    if (scanning) {
      return;
    }
    scanning = true;
    store.claimDue(SCAN_BATCH)
        .compose(due -> onDue(due).map(all -> due.size()))
        .onComplete(done -> {
          scanning = false;
          if (done.failed()) {
            LOG.warn("saga scan failed: {}", done.cause().toString());
          } else if (done.result() == SCAN_BATCH) {
            scan();
          }
        });
  }

  /** All together first; if that fails, saga by saga, so one that cannot move does not hold the others. */
  private Future<Void> onDue(List<SagaSnapshot> due) {
    if (due.isEmpty()) {
      return Future.succeededFuture();
    }
    return coordinator.onDue(due).recover(failed -> Future.join(due.stream().map(saga ->
        coordinator.onDue(List.of(saga)).recover(e -> {
          LOG.warn("order {}: due saga not advanced, retried later: {}", saga.orderId(), e.toString());
          return Future.succeededFuture();
        })).toList()).mapEmpty());
  }
}
