package avalanche.verticles;

import avalanche.infra.Clients;
import avalanche.infra.DropMetrics;
import avalanche.stock.RedisLink;
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
 * {@code queue.admitIntervalMs}. Any number of processes may run it; the script keeps admissions at the rate.
 */
public class WaitingRoomVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WaitingRoomVerticle.class);

  private Redis client;
  private RedisLink redis;
  private Admitter admitter;
  private long timer;
  private boolean running;
  private boolean failing;

  @Override
  public Future<?> start() {
    client = Clients.redis(vertx, config());
    redis = new RedisLink(client);
    RoomTimes times = RoomTimes.of(config());
    admitter = new Admitter(redis, times, new QueueMetrics(DropMetrics.registry(config())));
    timer = vertx.setPeriodic(times.admitIntervalMs(), id -> step());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return redis.close().eventually(client::close);
  }

  private void step() {
    if (running) {
      return;
    }
    running = true;
    admitter.step().onComplete(ar -> {
      running = false;
      if (ar.failed() && !failing) {
        LOG.warn("waiting-room admission step failed; retrying every step until it works: {}", ar.cause().toString());
      } else if (ar.succeeded() && failing) {
        LOG.info("waiting-room admission steps work again");
      }
      failing = ar.failed();
    });
  }
}
