package avalanche.stock;

import java.util.Map;

/**
 * What reserve.lua decided for one purchase attempt. {@code detail} is the price for RESERVED, the
 * opening time for DROP_NOT_OPEN and the bucket's epoch for EMPTY. {@code returns}, for SOLD_OUT:
 * per bucket tag, the units returned to it so far, or null for a product behind a waiting room,
 * whose sold-out answer must not be cached ({@link #cacheable}). {@code orderId}: the id the
 * attempt's order has (RESERVED) or would have had.
 */
public record Reservation(
    Outcome outcome, long detail, Map<String, Long> returns, long createdAt, String orderId) {
  /**
   * RESTORING: the product was rebuilt after Redis lost its data and takes no attempt yet.
   * NOT_ADMITTED: the product is behind a waiting room and the attempt carried no admission, or one
   * already used. EMPTY: the user's home bucket has no unit, the product's other buckets may (never
   * an answer to a shopper: {@link BucketedAttempt} goes on).
   */
  public enum Outcome {
    RESERVED,
    LOST,
    SOLD_OUT,
    ALREADY_PURCHASED,
    DROP_NOT_OPEN,
    NOT_FOUND,
    RESTORING,
    NOT_ADMITTED,
    EMPTY
  }

  public long price() {
    return detail;
  }

  public long opensAt() {
    return detail;
  }

  public long epoch() {
    return detail;
  }

  /**
   * Whether a SOLD_OUT may arm the sold-out cache: not behind a waiting room, where the admission
   * is checked first.
   */
  public boolean cacheable() {
    return returns != null;
  }
}
