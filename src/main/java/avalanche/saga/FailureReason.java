package avalanche.saga;

/**
 * Why a saga was cancelled (column {@code orders.failure_reason}, field {@code failureReason} of an
 * order): the first step that failed says it, or the coordinator when no step did.
 */
public enum FailureReason {
  /**
   * CHECK_STOCK: the order's reservation was gone (released, or sold to no one) when the saga
   * looked.
   */
  OUT_OF_STOCK,
  /**
   * CHECK_STOCK: the user holds another order of this product (only after a Redis data loss,
   * check_stock.lua).
   */
  ALREADY_PURCHASED,
  /** APPLY_POINTS: the balance does not cover the price. */
  INSUFFICIENT_POINTS,
  /** APPLY_POINTS: the order names a user that does not exist. */
  USER_NOT_FOUND,
  /** PREPARE_SHIPPING: neither the purchase nor the user gives a shippable address. */
  INVALID_ADDRESS,
  /**
   * The coordinator gave up: replies were still missing {@code saga.timeoutSeconds} after the saga
   * started.
   */
  TIMEOUT,
  /**
   * A participant's answer to a command whose compensation came first (the saga was given up
   * meanwhile): the late command is a no-op. The saga's own reason (TIMEOUT) was stored before, so
   * no order shows this one.
   */
  COMPENSATED,
  /** Only if a participant failed a step without saying why. */
  STEP_FAILED
}
