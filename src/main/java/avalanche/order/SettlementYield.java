package avalanche.order;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * When the relay holds won orders back in the outbox so that a burst of purchases gets the cores
 * first.
 *
 * <p>While orders are won faster than {@code aboveWinsPerSecond} (set a little above the saga's
 * sustained rate: purchases sharing the cores with the saga get little further, so a higher bound
 * would never be reached), a backlog builds whatever the relay does, and settling part of it during
 * the burst only takes CPU, Redis and PostgreSQL time from the purchases, which then answer slower.
 * So above that rate the relay stops, the orders wait in the outbox (as durable as Redis, and not
 * yet in any saga, so no saga timer runs for them), and once the rate falls below half of it the
 * relay drains the backlog at full speed. No order waits longer than {@code maxLagMs} for all that:
 * past it the relay moves the oldest orders on even mid-burst.
 *
 * <p>The rate is the sum of the products' {@code won} counters (kept by reserve.lua) over the last
 * {@link #WINDOW_MS}, so it counts every process's purchases. The relay looks every quarter second
 * to catch a burst early; the rate over a whole second is steadier than one over a quarter, so a
 * paced load just under the bound is not taken for a burst, and one slow quarter (a pause for
 * garbage collection) does not end one. Pure logic: fed by the relay's measurement, used from its
 * context.
 */
final class SettlementYield {
  /** The rate is taken over this much of the latest measurements. */
  static final long WINDOW_MS = 1_000;

  private final long aboveWinsPerSecond;
  private final long maxLagMs;
  private final ArrayDeque<Look> looks = new ArrayDeque<>();
  private long winsPerSecond;
  private boolean burst;
  private boolean holding;

  /** {@code aboveWinsPerSecond} 0: never hold back. */
  SettlementYield(long aboveWinsPerSecond, long maxLagMs) {
    this.aboveWinsPerSecond = aboveWinsPerSecond;
    this.maxLagMs = maxLagMs;
  }

  /**
   * One measurement: the products' won orders so far, when, and the age of the oldest order in the
   * outbox. Returns whether the relay holds back from now on.
   */
  boolean observe(long wonTotal, long atMs, long lagMs) {
    Look last = looks.peekLast();
    if (last != null && (wonTotal < last.won() || atMs < last.atMs())) {
      // A smaller total (a product left the index, Redis lost its data) is no burst: start over.
      looks.clear();
      winsPerSecond = 0;
      burst = false;
    }
    looks.addLast(new Look(wonTotal, atMs));
    // Keep the latest look at or before the window's start, so the rate spans the whole window.
    while (looks.size() > 2 && atMs - secondOldest().atMs() >= WINDOW_MS) {
      looks.removeFirst();
    }
    Look oldest = looks.peekFirst();
    if (atMs > oldest.atMs()) {
      winsPerSecond = (wonTotal - oldest.won()) * 1000 / (atMs - oldest.atMs());
      burst =
          aboveWinsPerSecond > 0
              && (burst
                  ? 2 * winsPerSecond > aboveWinsPerSecond
                  : winsPerSecond > aboveWinsPerSecond);
    }
    holding = burst && lagMs <= maxLagMs;
    return holding;
  }

  private Look secondOldest() {
    Iterator<Look> it = looks.iterator();
    it.next();
    return it.next();
  }

  boolean holding() {
    return holding;
  }

  long winsPerSecond() {
    return winsPerSecond;
  }

  /** The products' won orders so far, and when that was read. */
  private record Look(long won, long atMs) {}
}
