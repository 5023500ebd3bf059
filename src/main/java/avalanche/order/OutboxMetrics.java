package avalanche.order;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outbox on {@code /metrics}: {@code avalanche_outbox_length} (entries in every product's
 * outbox, i.e. orders answered 202 that Kafka has not acknowledged yet), {@code
 * avalanche_outbox_lag_ms} (age of the oldest of them: how long an order has lived only in Redis; 0
 * when the outbox is empty), and the counters {@code avalanche_outbox_holding} (1 while the relay
 * holds orders back for a burst, see {@link SettlementYield}), {@code
 * avalanche_outbox_relayed_total}, {@code avalanche_outbox_claimed_total} (taken over from a relay
 * that stopped acknowledging) and {@code avalanche_outbox_dead_lettered_total}. One set per
 * registry: the relays of a process share it, and each measurement replaces the last.
 */
public final class OutboxMetrics {
  private static final Map<MeterRegistry, OutboxMetrics> BY_REGISTRY =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final AtomicLong length = new AtomicLong();
  private final AtomicLong lagMs = new AtomicLong();
  private final AtomicLong holding = new AtomicLong();
  private final Counter relayed;
  private final Counter claimed;
  private final Counter deadLettered;

  private OutboxMetrics(MeterRegistry registry) {
    Gauge.builder("avalanche.outbox.length", length, AtomicLong::get)
        .strongReference(true)
        .description("orders in the outbox streams, not yet acknowledged by Kafka")
        .register(registry);
    Gauge.builder("avalanche.outbox.lag.ms", lagMs, AtomicLong::get)
        .strongReference(true)
        .description("age of the oldest order not yet acknowledged by Kafka (ms)")
        .register(registry);
    Gauge.builder("avalanche.outbox.holding", holding, AtomicLong::get)
        .strongReference(true)
        .description(
            "1 while the relay holds won orders back for a burst of purchases (settlement yields)")
        .register(registry);
    relayed = Counter.builder("avalanche.outbox.relayed").register(registry);
    claimed = Counter.builder("avalanche.outbox.claimed").register(registry);
    deadLettered = Counter.builder("avalanche.outbox.dead.lettered").register(registry);
  }

  public static OutboxMetrics of(MeterRegistry registry) {
    return BY_REGISTRY.computeIfAbsent(registry, OutboxMetrics::new);
  }

  void measured(long entries, long oldestAgeMs, boolean holdingBack) {
    length.set(entries);
    lagMs.set(oldestAgeMs);
    holding.set(holdingBack ? 1 : 0);
  }

  void relayed(int entries) {
    relayed.increment(entries);
  }

  void claimed(int entries) {
    claimed.increment(entries);
  }

  void deadLettered(int entries) {
    deadLettered.increment(entries);
  }

  public long length() {
    return length.get();
  }

  public long lagMs() {
    return lagMs.get();
  }

  /** Whether the last measurement found the relay holding orders back for a burst. */
  public boolean holding() {
    return holding.get() == 1;
  }

  public double relayedTotal() {
    return relayed.count();
  }

  public double claimedTotal() {
    return claimed.count();
  }
}
