package avalanche.waitingroom;

import io.vertx.core.json.JsonObject;

/**
 * The waiting rooms' clocks (config {@code queue}): a ticket in line expires when not polled for
 * {@code pollTimeoutSeconds} (60), an admission is valid {@code admissionTtlSeconds} (120); the admission step runs
 * every {@code admitIntervalMs} and handles at most {@code maxBatch} tickets per part of a step.
 */
public record RoomTimes(long pollTimeoutMs, long admissionTtlMs, long admitIntervalMs, int maxBatch) {
  public static RoomTimes of(JsonObject config) {
    JsonObject queue = config.getJsonObject("queue", new JsonObject());
    return new RoomTimes(queue.getLong("pollTimeoutSeconds", 60L) * 1000, queue.getLong("admissionTtlSeconds", 120L) * 1000,
        queue.getLong("admitIntervalMs", 100L), queue.getInteger("maxBatch", 10_000));
  }
}
