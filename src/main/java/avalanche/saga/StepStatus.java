package avalanche.saga;

/**
 * The status of one command or compensation of a saga, as stored in {@code orders.command_statuses}
 * (jsonb).
 */
public enum StepStatus {
  /** Sent (or about to be), no reply yet. */
  PENDING,
  SUCCESS,
  FAILED
}
