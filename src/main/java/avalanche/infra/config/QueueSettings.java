package avalanche.infra.config;

/** {@code queue}: the waiting rooms' clocks and step sizes ({@code waitingroom.RoomTimes}). */
public record QueueSettings(
    long pollTimeoutSeconds,
    long admissionTtlSeconds,
    long admitIntervalMs,
    int maxBatch,
    int sweepBatch) {

  static QueueSettings from(ConfigNode queue) {
    return new QueueSettings(
        queue.positiveLong("pollTimeoutSeconds"),
        queue.positiveLong("admissionTtlSeconds"),
        queue.positiveLong("admitIntervalMs"),
        queue.positiveInt("maxBatch"),
        queue.positiveInt("sweepBatch"));
  }
}
