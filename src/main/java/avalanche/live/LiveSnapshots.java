package avalanche.live;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns the samples taken once a second into the feed's snapshots: rates are the differences of
 * running counters between two samples, so they add up whatever process or ingress instance counted
 * them. Not thread-safe: one publisher owns it.
 */
public final class LiveSnapshots {
  /** A product with an attempt this recently is listed even when its drop is closed or sold out. */
  static final long RECENT_MS = 60_000;

  private Sample previous;
  private final Map<Long, ProductSample> previousById = new HashMap<>();
  private final Map<Long, Long> lastAttemptAt = new HashMap<>();

  public JsonObject next(Sample sample) {
    double seconds = previous == null ? 0 : Math.max(1, sample.at() - previous.at()) / 1000.0;
    JsonArray products = new JsonArray();
    long settled = 0;
    for (ProductSample product : sample.products()) {
      ProductSample before = previousById.get(product.productId());
      Map<Outcome, Long> outcomes = outcomes(product, before, sample.rejected(), previous);
      long attempts = outcomes.values().stream().mapToLong(Long::longValue).sum();
      if (attempts > 0) {
        lastAttemptAt.put(product.productId(), sample.at());
      }
      if (before != null) {
        settled += Math.max(0, product.settled() - before.settled());
      }
      if (listed(product, sample.at())) {
        products.add(view(product, outcomes, attempts, seconds));
      }
    }
    JsonObject snapshot =
        new JsonObject()
            .put("at", Instant.ofEpochMilli(sample.at()).toString())
            .put("products", products)
            .put("sagasOpen", sample.sagasOpen())
            .put("ordersSettledPerSecond", rate(settled, seconds))
            .put("purchaseP99Ms", Math.round(sample.purchaseP99Ms() * 10) / 10.0);
    remember(sample);
    return snapshot;
  }

  /** Open and not sold out, or attempted within the last minute. */
  private boolean listed(ProductSample product, long at) {
    Long attempted = lastAttemptAt.get(product.productId());
    return product.dropAt() <= at && product.available() > 0
        || attempted != null && at - attempted <= RECENT_MS;
  }

  private static Map<Outcome, Long> outcomes(
      ProductSample now, ProductSample before, Map<Long, Long> rejected, Sample previous) {
    Map<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);
    if (before == null) {
      for (Outcome outcome : Outcome.values()) {
        outcomes.put(outcome, 0L);
      }
      return outcomes;
    }
    outcomes.put(Outcome.RESERVED, grown(now.won(), before.won()));
    outcomes.put(Outcome.LOST, grown(now.lost(), before.lost()));
    outcomes.put(Outcome.SOLD_OUT, grown(now.soldOut(), before.soldOut()));
    outcomes.put(
        Outcome.ALREADY_PURCHASED, grown(now.alreadyPurchased(), before.alreadyPurchased()));
    outcomes.put(
        Outcome.REJECTED,
        grown(
            rejected.getOrDefault(now.productId(), 0L),
            previous.rejected().getOrDefault(now.productId(), 0L)));
    return outcomes;
  }

  /** A counter that went down was rebuilt (Redis lost its data): no negative rate. */
  private static long grown(long now, long before) {
    return Math.max(0, now - before);
  }

  private static JsonObject view(
      ProductSample product, Map<Outcome, Long> outcomes, long attempts, double seconds) {
    JsonObject perSecond = new JsonObject();
    outcomes.forEach((outcome, count) -> perSecond.put(outcome.name(), rate(count, seconds)));
    JsonObject view =
        new JsonObject()
            .put("productId", Long.toString(product.productId()))
            .put("name", product.name())
            .put("dropAt", Instant.ofEpochMilli(product.dropAt()).toString())
            .put("available", product.available())
            .put("reserved", product.reserved())
            .put("sold", product.sold())
            .put("attemptsPerSecond", rate(attempts, seconds))
            .put("outcomesPerSecond", perSecond);
    if (product.queueWaiting() != null) {
      view.put("queueWaiting", product.queueWaiting());
    }
    return view;
  }

  private static double rate(long count, double seconds) {
    return seconds == 0 ? 0 : Math.round(count / seconds * 10) / 10.0;
  }

  private void remember(Sample sample) {
    previous = sample;
    previousById.clear();
    for (ProductSample product : sample.products()) {
      previousById.put(product.productId(), product);
    }
    lastAttemptAt.values().removeIf(at -> sample.at() - at > RECENT_MS);
  }
}
