package avalanche.verticles;

import avalanche.infra.Channels;
import avalanche.infra.Clients;
import avalanche.infra.DropMetrics;
import avalanche.infra.config.Settings;
import avalanche.live.LiveSampler;
import avalanche.live.LiveSnapshots;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live ops feed's one publisher per process: once a second a sample, a snapshot, one encoded
 * frame published to the ingress instances ({@link Channels#OPS_LIVE_SNAPSHOT}), however many
 * viewers they have. It samples even with no viewer, so the first snapshot a viewer gets already
 * has its rates.
 */
public class LiveFeedVerticle extends VerticleBase {
  static final long PERIOD_MS = 1_000;
  private static final Logger LOG = LoggerFactory.getLogger(LiveFeedVerticle.class);
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private Redis redis;
  private Pool pg;
  private LiveSampler sampler;
  private final LiveSnapshots snapshots = new LiveSnapshots();
  private long timer;
  private boolean sampling;

  @Override
  public Future<?> start() {
    Settings settings = Settings.from(config());
    redis = Clients.redis(vertx, settings.redis());
    pg = Clients.pg(vertx, settings.pg());
    sampler = new LiveSampler(redis, pg, DropMetrics.of(settings));
    timer = vertx.setPeriodic(PERIOD_MS, id -> tick());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.join(pg.close(), redis.close());
  }

  private void tick() {
    if (sampling) {
      return;
    }
    sampling = true;
    sampler
        .sample()
        .onComplete(
            sample -> {
              sampling = false;
              if (sample.succeeded()) {
                String json = snapshots.next(sample.result()).encode();
                vertx
                    .eventBus()
                    .publish(
                        Channels.OPS_LIVE_SNAPSHOT, Buffer.buffer("data: " + json + "\n\n"), LOCAL);
              } else {
                LOG.debug("live feed: no snapshot this second: {}", sample.cause().toString());
              }
            });
  }
}
