package avalanche.verticles;

import avalanche.infra.Clients;
import avalanche.infra.DropMetrics;
import avalanche.infra.Periodic;
import avalanche.infra.config.Settings;
import avalanche.infra.redis.RedisLink;
import avalanche.waitingroom.Admitter;
import avalanche.waitingroom.QueueMetrics;
import avalanche.waitingroom.RoomTimes;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.redis.client.Redis;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic work of the waiting rooms (jobs side): runs the admission step ({@link Admitter}) every
 * {@code queue.admitIntervalMs}. Any number of processes may run it; the script keeps admissions at
 * the rate.
 */
public class WaitingRoomVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WaitingRoomVerticle.class);

  private Redis client;
  private RedisLink redis;
  private Admitter admitter;
  private Periodic steps;
  private boolean failing;

  @Override
  public Future<?> start() {
    Settings settings = Settings.from(config());
    client = Clients.redis(vertx, settings.redis());
    redis = new RedisLink(client);
    RoomTimes times = RoomTimes.of(settings.queue());
    admitter = new Admitter(redis, times, new QueueMetrics(DropMetrics.registry(settings)));
    steps =
        Periodic.every(
            vertx, times.admitIntervalMs(), LOG, "waiting-room admission step", this::step);
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    steps.cancel();
    return redis.close().eventually(client::close);
  }

  /**
   * A step ten times a second: a failure is logged when steps start failing and when they work
   * again, not each time.
   */
  private Future<?> step() {
    return admitter
        .step()
        .transform(
            ar -> {
              if (ar.failed() && !failing) {
                LOG.warn(
                    "waiting-room admission steps fail; retrying every step until they work: {}",
                    ar.cause().toString());
              } else if (ar.succeeded() && failing) {
                LOG.info("waiting-room admission steps work again");
              }
              failing = ar.failed();
              return Future.succeededFuture();
            });
  }
}
