package avalanche.infra.http;

import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;

/**
 * Fixed one-second windows per key, in the memory of one verticle instance (so one event loop: no
 * locks). With N ingress instances a client may get up to N times the limit; it guards the hot path
 * against hammering without a Redis round trip.
 */
public final class RateLimiter {
  private final int perSecond;
  private final Map<Long, Integer> counts = new HashMap<>();
  private final long timer;
  private final Vertx vertx;

  public RateLimiter(Vertx vertx, int perSecond) {
    this.vertx = vertx;
    this.perSecond = perSecond;
    this.timer = vertx.setPeriodic(1000, id -> counts.clear());
  }

  /** True when the call is within the limit (and counts it). */
  public boolean tryAcquire(long key) {
    return counts.merge(key, 1, Integer::sum) <= perSecond;
  }

  public void close() {
    vertx.cancelTimer(timer);
  }
}
