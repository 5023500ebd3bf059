package avalanche.stock;

/**
 * What reserve.lua decided for one purchase attempt. {@code price} is set for RESERVED, {@code opensAt} for
 * DROP_NOT_OPEN, {@code returns} (units returned to the product so far) for SOLD_OUT.
 */
public record Reservation(Outcome outcome, long price, long opensAt, long returns, long createdAt) {
  /** RESTORING: the product was rebuilt after Redis lost its data and takes no attempt yet. */
  public enum Outcome { RESERVED, LOST, SOLD_OUT, ALREADY_PURCHASED, DROP_NOT_OPEN, NOT_FOUND, RESTORING }

  public static Reservation decided(Outcome outcome, long createdAt) {
    return new Reservation(outcome, 0, 0, 0, createdAt);
  }
}
