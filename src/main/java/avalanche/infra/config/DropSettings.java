package avalanche.infra.config;

import avalanche.product.Grade;
import java.util.EnumMap;
import java.util.Map;

/**
 * {@code drop}: how long a reservation holds a unit, each grade's chance to win, how long an
 * idempotency key is kept, and the optional {@code WAIT} for Redis replicas before a 202.
 */
public record DropSettings(
    long reservationTtlSeconds,
    Map<Grade, Double> winProbability,
    long idempotencyTtlSeconds,
    int waitReplicas,
    long waitTimeoutMs) {

  static DropSettings from(ConfigNode drop) {
    ConfigNode win = drop.child("winProbability");
    Map<Grade, Double> chances = new EnumMap<>(Grade.class);
    for (Grade grade : Grade.values()) {
      chances.put(grade, win.probability(grade.name()));
    }
    return new DropSettings(
        drop.positiveLong("reservationTtlSeconds"),
        Map.copyOf(chances),
        drop.positiveLong("idempotencyTtlSeconds"),
        drop.nonNegativeInt("waitReplicas"),
        drop.positiveLong("waitTimeoutMs"));
  }

  public long reservationTtlMs() {
    return reservationTtlSeconds * 1000;
  }
}
