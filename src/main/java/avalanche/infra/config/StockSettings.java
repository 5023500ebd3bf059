package avalanche.infra.config;

/** {@code stock}: the pace and page sizes of the reservation sweep, inventory sync and repair. */
public record StockSettings(
    long sweepIntervalMs,
    int sweepPageSize,
    int sweepMaxPerTick,
    long pendingRecheckMs,
    long syncIntervalSeconds,
    int syncPageSize,
    int rebuildPageSize,
    long repairIntervalMs) {

  static StockSettings from(ConfigNode stock) {
    return new StockSettings(
        stock.positiveLong("sweepIntervalMs"),
        stock.positiveInt("sweepPageSize"),
        stock.positiveInt("sweepMaxPerTick"),
        stock.positiveLong("pendingRecheckMs"),
        stock.positiveLong("syncIntervalSeconds"),
        stock.positiveInt("syncPageSize"),
        stock.positiveInt("rebuildPageSize"),
        stock.positiveLong("repairIntervalMs"));
  }
}
