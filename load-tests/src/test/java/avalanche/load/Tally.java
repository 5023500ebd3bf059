package avalanche.load;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/** What the virtual shoppers saw, counted across the run (one simulation per JVM). */
final class Tally {
  final AtomicLong reserved = new AtomicLong();
  final AtomicLong lost = new AtomicLong();
  final AtomicLong soldOut = new AtomicLong();
  final AtomicLong alreadyPurchased = new AtomicLong();
  final AtomicLong undecided = new AtomicLong();
  final AtomicLong completed = new AtomicLong();
  final AtomicLong cancelled = new AtomicLong();
  final AtomicLong unsettled = new AtomicLong();
  private final AtomicLong firstPurchaseAt = new AtomicLong();
  private final AtomicLong firstSoldOutAt = new AtomicLong();
  private final AtomicLong firstSettledAt = new AtomicLong();
  private final AtomicLong lastSettledAt = new AtomicLong();
  private final ConcurrentLinkedQueue<Long> settleMillis = new ConcurrentLinkedQueue<>();

  void purchaseSent() {
    firstPurchaseAt.compareAndSet(0, System.currentTimeMillis());
  }

  /** One purchase answer: its status (null when there was none) and, for a 409, its error code. */
  void answered(Integer status, String error) {
    if (status == null) {
      undecided.incrementAndGet();
      return;
    }
    switch (status) {
      case 202 -> reserved.incrementAndGet();
      case 200 -> lost.incrementAndGet();
      case 409 -> {
        if ("SOLD_OUT".equals(error)) {
          soldOut.incrementAndGet();
          firstSoldOutAt.compareAndSet(0, System.currentTimeMillis());
        } else if ("ALREADY_PURCHASED".equals(error)) {
          alreadyPurchased.incrementAndGet();
        } else {
          undecided.incrementAndGet();
        }
      }
      default -> undecided.incrementAndGet();
    }
  }

  /** An order the shopper followed: its last seen status and the time from its 202 to that status. */
  void followed(String status, long millis) {
    switch (status == null ? "PENDING" : status) {
      case "COMPLETED" -> completed.incrementAndGet();
      case "CANCELLED" -> cancelled.incrementAndGet();
      default -> {
        unsettled.incrementAndGet();
        return;
      }
    }
    long now = System.currentTimeMillis();
    firstSettledAt.compareAndSet(0, now);
    lastSettledAt.accumulateAndGet(now, Math::max);
    settleMillis.add(millis);
  }

  long decided() {
    return reserved.get() + lost.get() + soldOut.get() + alreadyPurchased.get();
  }

  long settled() {
    return completed.get() + cancelled.get();
  }

  /** Milliseconds from the first purchase sent to the first SOLD_OUT answer, or -1. */
  long timeToSellOutMillis() {
    return firstSoldOutAt.get() == 0 ? -1 : firstSoldOutAt.get() - firstPurchaseAt.get();
  }

  /** Orders settled per second, from the first purchase sent to the last settlement seen. */
  double settledPerSecond() {
    long span = lastSettledAt.get() - firstPurchaseAt.get();
    return span <= 0 ? 0 : settled() * 1000.0 / span;
  }

  long settlePercentile(double p) {
    List<Long> sorted = new ArrayList<>(settleMillis);
    if (sorted.isEmpty()) {
      return -1;
    }
    Collections.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  String summary() {
    String settle = settled() == 0
        ? "n/a: no order reached COMPLETED or CANCELLED while followed"
        : String.format(Locale.ROOT, "%d settled, %.1f orders/s, 202->terminal p50 %d ms, p99 %d ms (poll-granular)",
            settled(), settledPerSecond(), settlePercentile(50), settlePercentile(99));
    return String.join("\n",
        "purchase answers: 202 RESERVED " + reserved + ", 200 LOST " + lost + ", 409 SOLD_OUT " + soldOut
            + ", 409 ALREADY_PURCHASED " + alreadyPurchased + ", other/none " + undecided,
        "time to sell out: " + (timeToSellOutMillis() < 0 ? "did not sell out" : timeToSellOutMillis() + " ms"),
        "orders followed: COMPLETED " + completed + ", CANCELLED " + cancelled + ", still PENDING " + unsettled,
        "settling: " + settle);
  }
}
