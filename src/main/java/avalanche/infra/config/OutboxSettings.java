package avalanche.infra.config;

/**
 * {@code outbox}: the relay from the Redis outboxes to Kafka ({@code order.OutboxRelay}). {@code
 * retryMaxMs} plus the producer's longest wait (metadata, then acknowledgement: see {@code
 * Clients.relayProducerConfig}) must stay under {@code claimIdleMs}, or a live relay that cannot
 * reach Kafka has its entries claimed by others (harmless, but wasted). {@code
 * yieldAboveWinsPerSecond} 0: no holding back for a fast burst; {@code yieldBusyWinsPerSecond} 0:
 * none for a busy one ({@code order.SettlementYield}); {@code yieldBusyCpu} is a share of the
 * machine's CPU, 0 to 1.
 */
public record OutboxSettings(
    int batchSize,
    long idlePollMs,
    long retryMaxMs,
    long claimIdleMs,
    long claimIntervalMs,
    long productRefreshMs,
    long measureIntervalMs,
    long forgetConsumerMs,
    long yieldAboveWinsPerSecond,
    long yieldBusyWinsPerSecond,
    double yieldBusyCpu,
    long yieldMaxLagMs) {

  static OutboxSettings from(ConfigNode outbox) {
    return new OutboxSettings(
        outbox.positiveInt("batchSize"),
        outbox.positiveLong("idlePollMs"),
        outbox.positiveLong("retryMaxMs"),
        outbox.positiveLong("claimIdleMs"),
        outbox.positiveLong("claimIntervalMs"),
        outbox.positiveLong("productRefreshMs"),
        outbox.positiveLong("measureIntervalMs"),
        outbox.positiveLong("forgetConsumerMs"),
        outbox.nonNegativeLong("yieldAboveWinsPerSecond"),
        outbox.nonNegativeLong("yieldBusyWinsPerSecond"),
        outbox.probability("yieldBusyCpu"),
        outbox.positiveLong("yieldMaxLagMs"));
  }
}
