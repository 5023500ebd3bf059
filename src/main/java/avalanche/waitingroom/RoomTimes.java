package avalanche.waitingroom;

import io.vertx.core.json.JsonObject;

/**
 * The waiting rooms' clocks (config {@code queue}): a ticket in line expires when not polled for
 * {@code pollTimeoutSeconds} (60), an admission is valid {@code admissionTtlSeconds} (120); the
 * admission step runs every {@code admitIntervalMs}, admits at most {@code maxBatch} tickets per
 * step (100,000/s at 10 steps a second) and expires or turns SOLD_OUT at most {@code sweepBatch}: a
 * step is one script, and Redis serves nobody else while it runs.
 */
public record RoomTimes(
    long pollTimeoutMs, long admissionTtlMs, long admitIntervalMs, int maxBatch, int sweepBatch) {
  public static RoomTimes of(JsonObject config) {
    JsonObject queue = config.getJsonObject("queue", new JsonObject());
    return new RoomTimes(
        queue.getLong("pollTimeoutSeconds", 60L) * 1000,
        queue.getLong("admissionTtlSeconds", 120L) * 1000,
        queue.getLong("admitIntervalMs", 100L),
        queue.getInteger("maxBatch", 10_000),
        queue.getInteger("sweepBatch", 2_000));
  }
}
