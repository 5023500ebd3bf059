package avalanche.waitingroom;

import avalanche.infra.config.QueueSettings;

/**
 * The waiting rooms' clocks (config {@code queue}): a ticket in line expires when not polled for
 * {@code pollTimeoutSeconds} (60), an admission is valid {@code admissionTtlSeconds} (120); the
 * admission step runs every {@code admitIntervalMs}, admits at most {@code maxBatch} tickets per
 * step (100,000/s at 10 steps a second) and expires or turns SOLD_OUT at most {@code sweepBatch}: a
 * step is one script, and Redis serves nobody else while it runs.
 */
public record RoomTimes(
    long pollTimeoutMs, long admissionTtlMs, long admitIntervalMs, int maxBatch, int sweepBatch) {
  public static RoomTimes of(QueueSettings queue) {
    return new RoomTimes(
        queue.pollTimeoutSeconds() * 1000,
        queue.admissionTtlSeconds() * 1000,
        queue.admitIntervalMs(),
        queue.maxBatch(),
        queue.sweepBatch());
  }
}
