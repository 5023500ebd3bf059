package avalanche.verticles;

import avalanche.infra.Clients;
import avalanche.infra.Periodic;
import avalanche.infra.SkippedRows;
import avalanche.infra.config.Settings;
import avalanche.order.HandoffBacklog;
import avalanche.stock.BucketMoves;
import avalanche.stock.StockRebuild;
import avalanche.stock.StockRestore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every {@code stock.repairIntervalMs}: recreates the products PostgreSQL has and Redis lacks
 * ({@link StockRebuild}: Redis lost its data while the processes ran, or a product was stored but
 * never reached Redis), then lets rebuilt products sell again once they gave their units back
 * ({@link StockRestore}); and finishes the moves of units between a product's buckets that a dead
 * process left half done ({@link BucketMoves}). The first pass runs at once, so a process started
 * on a Redis that lost its data lifts the holds it finds as soon as the saga caught up. Passes
 * never overlap ({@link Periodic}).
 */
public class StockRepairVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(StockRepairVerticle.class);

  private Pool pg;
  private Redis redis;
  private KafkaAdminClient kafka;
  private StockRebuild rebuild;
  private StockRestore restore;

  /** Far longer than a product's creation takes (one PostgreSQL commit, then its Redis hashes). */
  private static final long PRODUCT_MIN_AGE_MS = 10_000;

  private BucketMoves moves;
  private Periodic passes;

  @Override
  public Future<?> start() {
    Settings settings = Settings.from(config());
    pg = Clients.pg(vertx, settings.pg());
    redis = Clients.redis(vertx, settings.redis());
    kafka = KafkaAdminClient.create(vertx, Clients.kafkaAdminConfig(settings.kafka()));
    long ttlMs = settings.drop().reservationTtlMs();
    rebuild =
        new StockRebuild(
            pg,
            redis,
            settings.stock().rebuildPageSize(),
            ttlMs,
            SkippedRows.of(settings, "stock rebuild", "products"),
            PRODUCT_MIN_AGE_MS);
    restore =
        new StockRestore(
            pg, redis, new HandoffBacklog(kafka, SagaCoordinatorVerticle.GROUP), ttlMs);
    // A move still unfinished after a few repair intervals lost its process.
    moves = new BucketMoves(redis, 2 * settings.stock().repairIntervalMs());
    passes =
        Periodic.every(
            vertx,
            1,
            settings.stock().repairIntervalMs(),
            LOG,
            "stock repair",
            () ->
                Future.join(rebuild.run().compose(rebuilt -> restore.run()), moves.run())
                    .mapEmpty());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    passes.cancel();
    return Future.join(pg.close(), redis.close(), kafka.close());
  }
}
