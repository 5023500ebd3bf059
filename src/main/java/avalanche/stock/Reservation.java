package avalanche.stock;

/**
 * What reserve.lua decided for one purchase attempt. {@code price} is set for RESERVED, {@code opensAt} for
 * DROP_NOT_OPEN, {@code returns} (units returned to the product so far) for SOLD_OUT.
 */
public record Reservation(Outcome outcome, long price, long opensAt, long returns, long createdAt) {
  public enum Outcome { RESERVED, LOST, SOLD_OUT, ALREADY_PURCHASED, DROP_NOT_OPEN, NOT_FOUND }

  public static Reservation decided(Outcome outcome, long createdAt) {
    return new Reservation(outcome, 0, 0, 0, createdAt);
  }
}
