package avalanche.verticles;

import avalanche.infra.Clients;
import avalanche.infra.DropMetrics;
import avalanche.infra.Periodic;
import avalanche.infra.config.Settings;
import avalanche.infra.config.StockSettings;
import avalanche.infra.redis.RedisLink;
import avalanche.order.HandoffBacklog;
import avalanche.stock.ReservationSweep;
import avalanche.stock.StockScripts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link ReservationSweep} every {@code stock.sweepIntervalMs} ({@link Periodic}: passes
 * never overlap); other instances and processes may sweep at the same time, which the idempotent
 * stock scripts make safe.
 */
public class ReservationSweeperVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ReservationSweeperVerticle.class);

  private Pool pg;
  private Redis redis;
  private StockScripts scripts;
  private KafkaAdminClient kafka;
  private ReservationSweep sweep;
  private Periodic passes;
  private Counter released;
  private Counter confirmed;

  @Override
  public Future<?> start() {
    Settings settings = Settings.from(config());
    StockSettings stock = settings.stock();
    pg = Clients.pg(vertx, settings.pg());
    redis = Clients.redis(vertx, settings.redis());
    kafka = KafkaAdminClient.create(vertx, Clients.kafkaAdminConfig(settings.kafka()));
    scripts = new StockScripts(new RedisLink(redis), settings.drop().reservationTtlMs());
    sweep =
        new ReservationSweep(
            pg,
            redis,
            scripts,
            new HandoffBacklog(kafka, SagaCoordinatorVerticle.GROUP),
            stock.sweepPageSize(),
            stock.sweepMaxPerTick(),
            stock.pendingRecheckMs());
    MeterRegistry registry = DropMetrics.registry(settings);
    released =
        Counter.builder("avalanche.stock.expired").tag("action", "RELEASED").register(registry);
    confirmed =
        Counter.builder("avalanche.stock.expired").tag("action", "CONFIRMED").register(registry);
    passes = Periodic.every(vertx, stock.sweepIntervalMs(), LOG, "reservation sweep", this::pass);
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    passes.cancel();
    return Future.join(pg.close(), scripts.close(), kafka.close()).eventually(redis::close);
  }

  private Future<?> pass() {
    return sweep
        .run(System.currentTimeMillis())
        .onSuccess(
            r -> {
              released.increment(r.released());
              confirmed.increment(r.confirmed());
              if (r.released() + r.confirmed() + r.orphans() + r.failed() > 0) {
                LOG.info(
                    "expired reservations: {} released, {} confirmed, {} left to the saga, {} orphan deadlines, {} failed",
                    r.released(),
                    r.confirmed(),
                    r.postponed(),
                    r.orphans(),
                    r.failed());
              }
            });
  }
}
