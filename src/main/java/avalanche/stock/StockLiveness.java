package avalanche.stock;

import avalanche.infra.redis.HashSlots;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Whether Redis is answering the stock scripts of a slot, to tell a Redis that is down from one
 * that is merely busy. A purchase waits for its script as long as the slot's node keeps answering
 * (a crowd on a cold server queues for seconds, and a 503 then would hide a reservation that went
 * through); it is answered 503 once nothing came back from that slot for a while (a master failing
 * over, Redis restarting: the contract wants a 503 within 2 s then, never a hung request). Shared
 * by the process's ingress instances; each one's waiting purchases are in its {@link StockWatch}.
 */
public final class StockLiveness implements Shareable {
  /** First look at a purchase still waiting for its script. */
  static final long FIRST_CHECK_MS = 1_500;

  /** A slot that answered within this is up. */
  static final long RECENT_MS = 1_000;

  /** Nobody waits longer than this, whatever answers. */
  static final long MAX_WAIT_MS = 8_000;

  private static final String MAP = "avalanche.stock";
  private static final String KEY = "liveness";

  private final AtomicLongArray bySlot = new AtomicLongArray(HashSlots.COUNT);
  private final AtomicLong any = new AtomicLong();
  private volatile boolean closing;

  StockLiveness() {}

  /** The one instance of this Vert.x instance. */
  public static StockLiveness of(Vertx vertx) {
    return (StockLiveness)
        vertx
            .sharedData()
            .<String, Object>getLocalMap(MAP)
            .computeIfAbsent(KEY, k -> new StockLiveness());
  }

  /** A script on the bucket with that tag answered now. */
  public void answered(String tag, long nowMs) {
    bySlot.lazySet(HashSlots.of(tag), nowMs);
    any.lazySet(nowMs);
  }

  /**
   * Whether the slot of {@code tag} answered lately; for a slot that never answered in this
   * process, whether anything did.
   */
  boolean answering(String tag, long nowMs) {
    if (closing) {
      return false;
    }
    long slot = bySlot.get(HashSlots.of(tag));
    return nowMs - (slot == 0 ? any.get() : slot) <= RECENT_MS;
  }

  /**
   * The process is stopping: purchases still waiting get their answer if it comes by the first
   * check, else a 503 (the HTTP server's graceful shutdown would otherwise wait for them).
   */
  public void closing() {
    closing = true;
  }
}
