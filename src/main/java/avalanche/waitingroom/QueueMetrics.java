package avalanche.waitingroom;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The waiting rooms on /metrics, per product, as the admission step last read them from Redis (so
 * every process running the step shows the same shared figures): {@code avalanche_queue_waiting},
 * {@code avalanche_queue_admitted_total}, {@code avalanche_queue_expired_total}.
 */
public final class QueueMetrics {
  private final MeterRegistry registry;
  private final Map<Long, long[]> rooms = new ConcurrentHashMap<>();

  public QueueMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public void record(long productId, long waiting, long admitted, long expired) {
    long[] figures = rooms.computeIfAbsent(productId, this::register);
    figures[0] = waiting;
    figures[1] = admitted;
    figures[2] = expired;
  }

  private long[] register(long productId) {
    long[] figures = new long[3];
    String product = Long.toString(productId);
    Gauge.builder("avalanche.queue.waiting", figures, f -> f[0])
        .tag("product", product)
        .description("tickets in the waiting room's line (pre-queue and waiting)")
        .register(registry);
    FunctionCounter.builder("avalanche.queue.admitted", figures, f -> f[1])
        .tag("product", product)
        .description("shoppers admitted from the waiting room")
        .register(registry);
    FunctionCounter.builder("avalanche.queue.expired", figures, f -> f[2])
        .tag("product", product)
        .description("tickets expired: not polled in time, or admission unused")
        .register(registry);
    return figures;
  }
}
