package avalanche.order;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Order ids: {@code <ms:12 hex><node:8 hex><seq:6 hex>-<productId>}, or {@code
 * ...-<productId>.<salt>} for an order in another than a product's first bucket ({@code
 * stock/Buckets}). The time prefix orders them, node and sequence keep them unique across
 * processes, and the suffix names the Redis hash tag (and so the slot) that holds the order while
 * it is live, so a read needs no lookup table.
 */
public final class OrderIds {
  private static final int NODE = new SecureRandom().nextInt();
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final AtomicInteger SEQUENCE = new AtomicInteger(new SecureRandom().nextInt());

  private OrderIds() {}

  public static String next(long productId) {
    return next(productId, 0);
  }

  /** An order id for the product's bucket with that salt (0: the first). */
  public static String next(long productId, int salt) {
    // Written by hand: String.format costs more than the rest of a purchase's bookkeeping together.
    char[] id = new char[26];
    hex(id, 0, 12, System.currentTimeMillis());
    hex(id, 12, 8, NODE & 0xffffffffL);
    hex(id, 20, 6, SEQUENCE.getAndIncrement() & 0xffffff);
    StringBuilder out = new StringBuilder(48).append(id).append('-').append(productId);
    return salt == 0 ? out.toString() : out.append('.').append(salt).toString();
  }

  /**
   * {@code digits} lowercase hex digits of {@code value}, zero-padded, into {@code out} at {@code
   * at}.
   */
  private static void hex(char[] out, int at, int digits, long value) {
    for (int i = at + digits - 1; i >= at; i--) {
      out[i] = HEX[(int) (value & 0xf)];
      value >>>= 4;
    }
  }

  /** The product id inside an order id, or -1 when the id is not one of ours. */
  public static long productOf(String orderId) {
    if (orderId == null
        || orderId.length() < 28
        || orderId.length() > 48
        || orderId.charAt(26) != '-') {
      return -1;
    }
    for (int i = 0; i < 26; i++) {
      char c = orderId.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return -1;
      }
    }
    int dot = orderId.indexOf('.', 27);
    try {
      if (dot >= 0 && Integer.parseInt(orderId, dot + 1, orderId.length(), 10) <= 0) {
        return -1;
      }
      long id = Long.parseLong(orderId, 27, dot < 0 ? orderId.length() : dot, 10);
      return id > 0 ? id : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
