package avalanche.infra;

import avalanche.infra.config.Settings;
import avalanche.stock.Reservation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Drop counters exported on /metrics as {@code avalanche_drop_attempts_total{outcome=...}}, the
 * purchase answer time ({@code avalanche_purchase_time_seconds}, and its p99 over the last 5 s as
 * {@code avalanche_purchase_time_p99_seconds}) and, for the live feed, the attempts this process
 * refused before the stock decided them, per product. One instance per process (per metrics
 * registry), shared by every ingress instance, so the live feed reads the whole process's counts.
 */
public final class DropMetrics {
  /**
   * Rejections are counted for at most this many products: a flood of made-up ids cannot grow the
   * map.
   */
  private static final int MAX_PRODUCTS = 10_000;

  private static final Map<String, DropMetrics> BY_REGISTRY = new ConcurrentHashMap<>();

  private final Counter attempts;
  private final Counter reserved;
  private final Counter soldOut;
  private final Counter lost;
  private final Counter rejected;
  private final Counter waitedShort;
  private final Timer answerTime;
  // A short window: the live feed shows the p99 of the last few seconds, not of the whole run.
  private final RollingP99 recentAnswerTimes = new RollingP99(5_000);
  private final Map<Long, LongAdder> rejectedByProduct = new ConcurrentHashMap<>();

  public DropMetrics(MeterRegistry registry) {
    attempts = Counter.builder("avalanche.drop.attempts").tag("outcome", "ALL").register(registry);
    reserved =
        Counter.builder("avalanche.drop.attempts").tag("outcome", "RESERVED").register(registry);
    soldOut =
        Counter.builder("avalanche.drop.attempts").tag("outcome", "SOLD_OUT").register(registry);
    lost = Counter.builder("avalanche.drop.attempts").tag("outcome", "LOST").register(registry);
    rejected =
        Counter.builder("avalanche.drop.attempts").tag("outcome", "REJECTED").register(registry);
    waitedShort =
        Counter.builder("avalanche.drop.replica.wait.short")
            .description("wins answered before drop.waitReplicas replicas acknowledged them")
            .register(registry);
    answerTime =
        Timer.builder("avalanche.purchase.time")
            .description("time from a purchase request to its answer, in this process")
            .register(registry);
    Gauge.builder("avalanche.purchase.time.p99", this, m -> m.purchaseP99Ms() / 1_000)
        .description("p99 of the purchase answer time over the last 5 s, in this process")
        .baseUnit("seconds")
        .register(registry);
  }

  /** This process's instance. */
  public static DropMetrics of(Settings settings) {
    return BY_REGISTRY.computeIfAbsent(
        settings.metricsRegistry(), n -> new DropMetrics(registry(settings)));
  }

  public static MeterRegistry registry(Settings settings) {
    return io.vertx.micrometer.backends.BackendRegistries.getNow(settings.metricsRegistry());
  }

  public void attempt() {
    attempts.increment();
  }

  /**
   * Counts the decided outcome; rejections are repeat buyers, closed drops and unknown products.
   */
  public void outcome(long productId, Reservation.Outcome outcome) {
    switch (outcome) {
      case RESERVED -> reserved.increment();
      case SOLD_OUT -> soldOut.increment();
      case LOST -> lost.increment();
      case DROP_NOT_OPEN -> rejected(productId);
      default -> rejected.increment();
    }
  }

  /** A win whose WAIT for replicas ({@code drop.waitReplicas}) timed out first. */
  public void waitedShort() {
    waitedShort.increment();
  }

  /** An attempt refused before the stock decided it (rate limit, drop not open). */
  public void rejected(long productId) {
    rejected.increment();
    LongAdder count = rejectedByProduct.get(productId);
    if (count == null && rejectedByProduct.size() < MAX_PRODUCTS) {
      count = rejectedByProduct.computeIfAbsent(productId, id -> new LongAdder());
    }
    if (count != null) {
      count.increment();
    }
  }

  /** The running count of {@link #rejected(long)} per product, in this process. */
  public Map<Long, Long> rejectedByProduct() {
    Map<Long, Long> counts = new java.util.HashMap<>();
    rejectedByProduct.forEach((id, count) -> counts.put(id, count.sum()));
    return counts;
  }

  public void answered(long nanos) {
    answerTime.record(nanos, TimeUnit.NANOSECONDS);
    recentAnswerTimes.record(nanos);
  }

  /**
   * p99 of the purchase answer time over the last 5 s in this process, in ms; 0 without purchases.
   */
  public double purchaseP99Ms() {
    return recentAnswerTimes.p99Ms(System.currentTimeMillis());
  }
}
