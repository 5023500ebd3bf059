package avalanche.shipping;

/**
 * What counts as a shippable address: after trimming, 5 to 500 characters, at least one letter, and
 * no control characters. Anything else (blank, "x", "?????") is INVALID_ADDRESS.
 */
public final class Addresses {
  public static final int MIN_LENGTH = 5;
  public static final int MAX_LENGTH = 500;

  private Addresses() {}

  /** The trimmed address, or null when it is not shippable. */
  public static String shippable(String raw) {
    if (raw == null) {
      return null;
    }
    String address = raw.strip();
    if (address.length() < MIN_LENGTH || address.length() > MAX_LENGTH) {
      return null;
    }
    boolean letter = false;
    for (int i = 0; i < address.length(); i++) {
      char c = address.charAt(i);
      if (Character.isISOControl(c)) {
        return null;
      }
      letter |= Character.isLetter(c);
    }
    return letter ? address : null;
  }
}
