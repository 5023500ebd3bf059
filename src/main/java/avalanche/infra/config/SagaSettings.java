package avalanche.infra.config;

/**
 * {@code saga}: the coordinator's clocks, and {@code maxOpen}, the open sagas above which it stops
 * taking new orders.
 */
public record SagaSettings(
    int timeoutSeconds,
    int redriveSeconds,
    int retrySeconds,
    long scanIntervalMs,
    int maxOpen,
    long admissionCheckMs) {

  static SagaSettings from(ConfigNode saga) {
    return new SagaSettings(
        saga.positiveInt("timeoutSeconds"),
        saga.positiveInt("redriveSeconds"),
        saga.positiveInt("retrySeconds"),
        saga.positiveLong("scanIntervalMs"),
        saga.positiveInt("maxOpen"),
        saga.positiveLong("admissionCheckMs"));
  }
}
