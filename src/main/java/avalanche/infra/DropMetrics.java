package avalanche.infra;

import avalanche.stock.Reservation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** Drop counters exported on /metrics as {@code avalanche_drop_attempts_total{outcome=...}}. */
public final class DropMetrics {
  private final Counter attempts;
  private final Counter reserved;
  private final Counter soldOut;
  private final Counter lost;
  private final Counter rejected;
  private final Counter waitedShort;

  public DropMetrics(MeterRegistry registry) {
    attempts = Counter.builder("avalanche.drop.attempts").tag("outcome", "ALL").register(registry);
    reserved = Counter.builder("avalanche.drop.attempts").tag("outcome", "RESERVED").register(registry);
    soldOut = Counter.builder("avalanche.drop.attempts").tag("outcome", "SOLD_OUT").register(registry);
    lost = Counter.builder("avalanche.drop.attempts").tag("outcome", "LOST").register(registry);
    rejected = Counter.builder("avalanche.drop.attempts").tag("outcome", "REJECTED").register(registry);
    waitedShort = Counter.builder("avalanche.drop.replica.wait.short")
        .description("wins answered before drop.waitReplicas replicas acknowledged them").register(registry);
  }

  public static DropMetrics of(io.vertx.core.json.JsonObject config) {
    return new DropMetrics(registry(config));
  }

  public static MeterRegistry registry(io.vertx.core.json.JsonObject config) {
    return io.vertx.micrometer.backends.BackendRegistries.getNow(config.getJsonObject("metrics").getString("registryName"));
  }

  public void attempt() {
    attempts.increment();
  }

  /** Counts the decided outcome; rejections are repeat buyers, closed drops and unknown products. */
  public void outcome(Reservation.Outcome outcome) {
    switch (outcome) {
      case RESERVED -> reserved.increment();
      case SOLD_OUT -> soldOut.increment();
      case LOST -> lost.increment();
      default -> rejected.increment();
    }
  }

  /** A win whose WAIT for replicas ({@code drop.waitReplicas}) timed out first. */
  public void waitedShort() {
    waitedShort.increment();
  }

  /** An attempt refused before the stock was asked (rate limit). */
  public void rejected() {
    rejected.increment();
  }
}
