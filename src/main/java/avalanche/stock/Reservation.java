package avalanche.stock;

/**
 * What reserve.lua decided for one purchase attempt. {@code price} is set for RESERVED, {@code
 * opensAt} for DROP_NOT_OPEN, {@code returns} (units returned to the product so far) for SOLD_OUT,
 * or -1 for a product behind a waiting room, whose sold-out answer must not be cached ({@link
 * #cacheable}).
 */
public record Reservation(Outcome outcome, long price, long opensAt, long returns, long createdAt) {
  /**
   * RESTORING: the product was rebuilt after Redis lost its data and takes no attempt yet.
   * NOT_ADMITTED: the product is behind a waiting room and the attempt carried no admission, or one
   * already used.
   */
  public enum Outcome {
    RESERVED,
    LOST,
    SOLD_OUT,
    ALREADY_PURCHASED,
    DROP_NOT_OPEN,
    NOT_FOUND,
    RESTORING,
    NOT_ADMITTED
  }

  /**
   * Whether a SOLD_OUT may arm the sold-out cache: not behind a waiting room, where the admission
   * is checked first.
   */
  public boolean cacheable() {
    return returns >= 0;
  }

  public static Reservation decided(Outcome outcome, long createdAt) {
    return new Reservation(outcome, 0, 0, 0, createdAt);
  }
}
