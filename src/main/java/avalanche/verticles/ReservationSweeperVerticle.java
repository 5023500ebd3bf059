package avalanche.verticles;

import avalanche.infra.Clients;
import avalanche.infra.DropMetrics;
import avalanche.order.HandoffBacklog;
import avalanche.stock.ReservationSweep;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link ReservationSweep} every {@code stock.sweepIntervalMs}. A pass still running when the timer
 * fires again is not overlapped by a second one from the same instance; other instances and processes may
 * sweep at the same time, which the idempotent stock scripts make safe.
 */
public class ReservationSweeperVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ReservationSweeperVerticle.class);

  private Pool pg;
  private Redis redis;
  private KafkaAdminClient kafka;
  private ReservationSweep sweep;
  private long timer;
  private boolean running;
  private Counter released;
  private Counter confirmed;

  @Override
  public Future<?> start() {
    JsonObject stock = config().getJsonObject("stock", new JsonObject());
    pg = Clients.pg(vertx, config());
    redis = Clients.redis(vertx, config());
    kafka = KafkaAdminClient.create(vertx, Clients.kafkaAdminConfig(config()));
    sweep = new ReservationSweep(vertx, pg, redis, new HandoffBacklog(kafka, SagaCoordinatorVerticle.GROUP),
        stock.getInteger("sweepPageSize", 200),
        stock.getInteger("sweepMaxPerTick", 1000), stock.getLong("pendingRecheckMs", 5_000L));
    MeterRegistry registry = DropMetrics.registry(config());
    released = Counter.builder("avalanche.stock.expired").tag("action", "RELEASED").register(registry);
    confirmed = Counter.builder("avalanche.stock.expired").tag("action", "CONFIRMED").register(registry);
    timer = vertx.setPeriodic(stock.getLong("sweepIntervalMs", 1_000L), id -> tick());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.join(pg.close(), redis.close(), kafka.close());
  }

  private void tick() {
    if (running) {
      return;
    }
    running = true;
    sweep.run(System.currentTimeMillis()).onComplete(ar -> {
      running = false;
      if (ar.failed()) {
        LOG.warn("reservation sweep failed; the next pass retries: {}", ar.cause().toString());
        return;
      }
      ReservationSweep.Result r = ar.result();
      released.increment(r.released());
      confirmed.increment(r.confirmed());
      if (r.released() + r.confirmed() + r.orphans() + r.failed() > 0) {
        LOG.info("expired reservations: {} released, {} confirmed, {} left to the saga, {} orphan deadlines, {} failed",
            r.released(), r.confirmed(), r.postponed(), r.orphans(), r.failed());
      }
    });
  }
}
