package avalanche.order;

/**
 * When the relay holds won orders back in the outbox so that a burst of purchases gets the cores
 * first.
 *
 * <p>While orders are won faster than the saga can settle them ({@code aboveWinsPerSecond}, set
 * near the saga's sustained rate), a backlog builds whatever the relay does; settling part of it
 * during the burst only takes CPU, Redis and PostgreSQL time from the purchases, which then answer
 * slower. So above that rate the relay stops, the orders wait in the outbox (as durable as Redis,
 * and not yet in any saga, so no saga timer runs for them), and once the rate has stayed below half
 * of it for {@link #CALM_MS} the relay drains the backlog at full speed. No order waits longer than
 * {@code maxLagMs} for all that: past it the relay moves the oldest orders on even mid-burst.
 *
 * <p>The rate is the sum of the products' {@code won} counters (kept by reserve.lua) over time, so
 * it counts every process's purchases. Pure logic: fed by the relay's measurement, used from its
 * context.
 */
final class SettlementYield {
  /**
   * A burst is over once the rate stayed below half the bound this long: the relay measures every
   * quarter second to catch a burst early, and one slow quarter (a pause for garbage collection)
   * would otherwise let a batch of orders out mid-burst.
   */
  static final long CALM_MS = 1_000;

  private final long aboveWinsPerSecond;
  private final long maxLagMs;
  private long lastWon = -1;
  private long lastAt;
  private long winsPerSecond;
  private boolean burst;
  private long calmSince = -1;
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
    if (lastWon >= 0 && atMs > lastAt) {
      // A smaller total (a product left the index, Redis lost its data) is no burst.
      winsPerSecond = Math.max(0, wonTotal - lastWon) * 1000 / (atMs - lastAt);
      if (aboveWinsPerSecond <= 0) {
        burst = false;
      } else if (!burst) {
        burst = winsPerSecond > aboveWinsPerSecond;
        calmSince = -1;
      } else if (2 * winsPerSecond > aboveWinsPerSecond) {
        calmSince = -1;
      } else {
        calmSince = calmSince < 0 ? lastAt : calmSince;
        burst = atMs - calmSince < CALM_MS;
      }
    }
    lastWon = wonTotal;
    lastAt = atMs;
    holding = burst && lagMs <= maxLagMs;
    return holding;
  }

  boolean holding() {
    return holding;
  }

  long winsPerSecond() {
    return winsPerSecond;
  }
}
