package avalanche.saga;

/**
 * The coordinator's view of a saga (column {@code orders.saga_state}); readers see {@code
 * orders.status}: PENDING for the first three, then COMPLETED or CANCELLED.
 */
public enum SagaState {
  /** Commands sent, replies being collected. */
  RUNNING,
  /** Every step succeeded; the reserved unit is being confirmed as sold. */
  CONFIRMING,
  /** A step failed (or the saga timed out); the steps that may have succeeded are being undone. */
  COMPENSATING,
  COMPLETED,
  CANCELLED
}
