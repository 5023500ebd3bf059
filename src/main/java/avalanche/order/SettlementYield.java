package avalanche.order;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * When the relay holds won orders back in the outbox so that a burst of purchases gets the cores
 * first.
 *
 * <p>While orders are won faster than the saga settles them, a backlog builds whatever the relay
 * does, and settling part of it during the burst only takes CPU, Redis and PostgreSQL time from the
 * purchases, which then answer slower. So during a burst the relay stops, the orders wait in the
 * outbox (as durable as Redis, and not yet in any saga, so no saga timer runs for them), and once
 * it passes the relay drains the backlog at full speed. No order waits longer than {@code maxLagMs}
 * for all that: past it the relay moves the oldest orders on even mid-burst.
 *
 * <p>A burst is either of:
 *
 * <ul>
 *   <li><b>fast</b>: orders won faster than {@code aboveWinsPerSecond} (a little above the saga's
 *       sustained rate), until the rate falls below half of it;
 *   <li><b>busy</b>: orders won faster than {@code busyWinsPerSecond} while this machine's CPU is
 *       at least {@code busyCpu} used. A burst that starts while the saga has the cores shares them
 *       with it, and its purchases never get fast enough to count as fast: the saga and the
 *       purchases settle at the saga's pace together. Holding back then frees the cores for the
 *       purchases, which speed up and keep them busy. If instead the cores go quiet while orders
 *       still come in, the saga was what kept them busy (a paced load it can follow, or purchases
 *       served by another machine); if the orders do not come in {@link #BUSY_SPEEDUP} times as
 *       fast within {@link #BUSY_PROOF_MS}, something else keeps the cores busy (the JIT compiler,
 *       another program). Either way holding back does not help: the relay lets go and does not try
 *       a busy hold again for {@link #BUSY_RETRY_MS}.
 * </ul>
 *
 * <p>The rate is the sum of the products' {@code won} counters (kept by reserve.lua) over the last
 * {@link #WINDOW_MS}, so it counts every process's purchases. The relay looks every quarter second
 * to catch a burst early; the rate over a whole second is steadier than one over a quarter, so a
 * paced load just under a bound is not taken for a burst, and one slow quarter (a pause for garbage
 * collection) does not end one. Pure logic: fed by the relay's measurement, used from its context.
 */
final class SettlementYield {
  /** The rate is taken over this much of the latest measurements. */
  static final long WINDOW_MS = 1_000;

  /** After a busy hold that freed the cores for nothing, how long before the next may start. */
  static final long BUSY_RETRY_MS = 60_000;

  /** How long a busy hold has to show that it speeds the purchases up. */
  static final long BUSY_PROOF_MS = 2_000;

  /** How much faster orders come in once a busy hold helps. */
  static final double BUSY_SPEEDUP = 1.5;

  private final long aboveWinsPerSecond;
  private final long busyWinsPerSecond;
  private final double busyCpu;
  private final long maxLagMs;
  private final ArrayDeque<Look> looks = new ArrayDeque<>();
  private long winsPerSecond;
  private boolean fast;
  private boolean busy;
  private long busySince;
  private long busyFromRate;
  private boolean busyHelps;
  private long busyRetryAt;
  private boolean holding;

  /**
   * @param aboveWinsPerSecond 0: no fast bursts
   * @param busyWinsPerSecond 0: no busy bursts
   * @param busyCpu the share of the machine's CPU (0 to 1) that makes it busy
   */
  SettlementYield(long aboveWinsPerSecond, long busyWinsPerSecond, double busyCpu, long maxLagMs) {
    this.aboveWinsPerSecond = aboveWinsPerSecond;
    this.busyWinsPerSecond = busyWinsPerSecond;
    this.busyCpu = busyCpu;
    this.maxLagMs = maxLagMs;
  }

  /**
   * One measurement: the products' won orders so far, when, the age of the oldest order in the
   * outbox, and the share of the machine's CPU used since the last one (negative: unknown). Returns
   * whether the relay holds back from now on.
   */
  boolean observe(long wonTotal, long atMs, long lagMs, double cpu) {
    Look last = looks.peekLast();
    if (last != null && (wonTotal < last.won() || atMs < last.atMs())) {
      // A smaller total (a product left the index, Redis lost its data) is no burst: start over.
      looks.clear();
      last = null;
      winsPerSecond = 0;
      fast = false;
      busy = false;
    }
    looks.addLast(new Look(wonTotal, atMs));
    // Keep the latest look at or before the window's start, so the rate spans the whole window.
    while (looks.size() > 2 && atMs - secondOldest().atMs() >= WINDOW_MS) {
      looks.removeFirst();
    }
    Look oldest = looks.peekFirst();
    if (atMs > oldest.atMs()) {
      winsPerSecond = (wonTotal - oldest.won()) * 1000 / (atMs - oldest.atMs());
      fast =
          aboveWinsPerSecond > 0
              && (fast
                  ? 2 * winsPerSecond > aboveWinsPerSecond
                  : winsPerSecond > aboveWinsPerSecond);
      if (last != null && atMs > last.atMs()) {
        long latest = (wonTotal - last.won()) * 1000 / (atMs - last.atMs());
        busy(latest, atMs, cpu);
      }
    }
    holding = (fast || busy) && lagMs <= maxLagMs;
    return holding;
  }

  /** {@code latest}: the rate since the last look alone, which tells a burst ending at once. */
  private void busy(long latest, long atMs, double cpu) {
    if (busyWinsPerSecond <= 0 || cpu < 0) {
      busy = false;
    } else if (busy) {
      busyHelps |= winsPerSecond >= BUSY_SPEEDUP * busyFromRate;
      if (2 * winsPerSecond < busyWinsPerSecond || latest < busyWinsPerSecond) {
        busy = false;
      } else if (cpu < busyCpu || !busyHelps && atMs - busySince >= BUSY_PROOF_MS) {
        // Orders still come in, no faster, or the cores went quiet: holding back does not help.
        busy = false;
        busyRetryAt = atMs + BUSY_RETRY_MS;
      }
    } else if (atMs >= busyRetryAt && winsPerSecond >= busyWinsPerSecond && cpu >= busyCpu) {
      busy = true;
      busySince = atMs;
      // The latest quarter too: a load just ramping up is not sped up by the hold.
      busyFromRate = Math.max(winsPerSecond, latest);
      busyHelps = false;
    }
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

  /** The burst under way, if any (while the lag bound lets orders go, it need not be held). */
  Burst burst() {
    return fast ? Burst.FAST : busy ? Burst.BUSY : Burst.NONE;
  }

  /** The kinds of burst (see the class comment). */
  enum Burst {
    NONE,
    FAST,
    BUSY
  }

  /** The products' won orders so far, and when that was read. */
  private record Look(long won, long atMs) {}
}
