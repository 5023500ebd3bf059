package avalanche.stock;

/**
 * Redis keys of one product. Every key carries the hash tag {@code {p:<id>}} so that all of them
 * live in one Redis Cluster slot and a Lua script may touch them together.
 */
public final class StockKeys {
  /** Sorted set of product ids by creation time; the only key outside a product's slot. */
  public static final String PRODUCT_INDEX = "products";

  /**
   * Sorted set of the ids of products behind a waiting room, by creation time (walked by {@code
   * waitingroom/Admitter}).
   */
  public static final String ROOM_INDEX = "rooms";

  /**
   * Field of the product hash set while a product rebuilt after a Redis data loss owes units to
   * orders still on their way to the saga: no attempt is decided until {@link StockRestore} removes
   * it.
   */
  public static final String HOLD = "hold";

  private StockKeys() {}

  public static String tag(long productId) {
    return "{p:" + productId + "}";
  }

  /** The product id of a tag {@code {p:<id>}}, or -1. */
  public static long productOfTag(String tag) {
    if (!tag.startsWith("{p:") || !tag.endsWith("}")) {
      return -1;
    }
    try {
      return Long.parseLong(tag, 3, tag.length() - 1, 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Hash: catalogue fields, live counters (total, available, reserved, sold) and attempt
   * statistics.
   */
  public static String product(long productId) {
    return tag(productId);
  }

  /** Hash userId → orderId of the user's live or completed order, or LOST. */
  public static String buyers(long productId) {
    return tag(productId) + ":buyers";
  }

  /** Sorted set orderId → reservation deadline (epoch ms), read by the expiry sweeper. */
  public static String deadlines(long productId) {
    return tag(productId) + ":deadlines";
  }

  /**
   * Stream of the product's won orders not yet handed to Kafka (fields orderId, userId, productId,
   * price, shippingAddress, createdAt): reserve.lua appends, the relay ({@code order/OutboxRelay})
   * deletes an entry once Kafka acknowledged it. Read through the consumer group {@code relay}.
   */
  public static String outbox(long productId) {
    return tag(productId) + ":outbox";
  }

  /**
   * Hash of one order while Redis holds it: userId, price, status, stock state, createdAt,
   * outboxId.
   */
  public static String order(long productId, String orderId) {
    return tag(productId) + ":order:" + orderId;
  }

  /**
   * Set of the tickets whose admission to the product's waiting room was used for a purchase
   * (reserve.lua adds it; single use). The room's other keys are in {@code waitingroom/RoomKeys}.
   */
  public static String admissionsUsed(long productId) {
    return tag(productId) + ":q:used";
  }
}
