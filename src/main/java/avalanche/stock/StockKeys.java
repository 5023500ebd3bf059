package avalanche.stock;

/**
 * Redis keys of a product's stock. A product keeps its stock in one or more buckets (see {@link
 * Buckets}); every key of a bucket carries the bucket's hash tag, {@code {p:<id>}} for the first
 * (the only one of an unbucketed product) and {@code {p:<id>.<salt>}} for the others, so that all
 * of a bucket's keys live in one Redis Cluster slot and a Lua script may touch them together. The
 * methods taking a product id name the first bucket's keys.
 */
public final class StockKeys {
  /** Sorted set of product ids by creation time; the only key outside a product's slot. */
  public static final String PRODUCT_INDEX = "products";

  /**
   * Sorted set of the hash tags of every product's buckets (the first included) by creation time:
   * what the jobs that work bucket by bucket walk (sweeper, relay, restore, move repair).
   */
  public static final String BUCKET_INDEX = "buckets";

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

  /** The tag of a product's bucket with that salt (0: the first bucket). */
  public static String tag(long productId, int salt) {
    return salt == 0 ? tag(productId) : "{p:" + productId + "." + salt + "}";
  }

  /**
   * The tag of the bucket holding an order: an order id ends in {@code -<productId>} or {@code
   * -<productId>.<salt>} (see {@code order/OrderIds}).
   */
  public static String tagOfOrder(String orderId) {
    return "{p:" + orderId.substring(orderId.indexOf('-') + 1) + "}";
  }

  /** The product id of a tag {@code {p:<id>}} or {@code {p:<id>.<salt>}}, or -1. */
  public static long productOfTag(String tag) {
    if (!tag.startsWith("{p:") || !tag.endsWith("}")) {
      return -1;
    }
    int dot = tag.indexOf('.');
    try {
      return Long.parseLong(tag, 3, dot < 0 ? tag.length() - 1 : dot, 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Hash: catalogue fields, live counters (available, reserved, sold; {@code total} in the first
   * bucket only) and attempt statistics.
   */
  public static String product(long productId) {
    return tag(productId);
  }

  /** The live hash of the bucket with that tag. */
  public static String bucket(String tag) {
    return tag;
  }

  /** Hash userId → orderId of the user's live or completed order, or LOST. */
  public static String buyers(long productId) {
    return buyers(tag(productId));
  }

  public static String buyers(String tag) {
    return tag + ":buyers";
  }

  /** Sorted set orderId → reservation deadline (epoch ms), read by the expiry sweeper. */
  public static String deadlines(long productId) {
    return deadlines(tag(productId));
  }

  public static String deadlines(String tag) {
    return tag + ":deadlines";
  }

  /**
   * Stream of the bucket's won orders not yet handed to Kafka (fields orderId, userId, productId,
   * price, shippingAddress, createdAt): reserve.lua appends, the relay ({@code order/OutboxRelay})
   * deletes an entry once Kafka acknowledged it. Read through the consumer group {@code relay}.
   */
  public static String outbox(long productId) {
    return outbox(tag(productId));
  }

  public static String outbox(String tag) {
    return tag + ":outbox";
  }

  /**
   * Hash of one order while Redis holds it, in its bucket: userId, price, status, stock state,
   * createdAt, outboxId.
   */
  public static String order(String orderId) {
    return tagOfOrder(orderId) + ":order:" + orderId;
  }

  /**
   * Hash moveId → "destTag destEpoch units createdAt" of the units this bucket lent to another and
   * that have not been confirmed received yet (see {@link BucketMoves}).
   */
  public static String lent(String tag) {
    return tag + ":lent";
  }

  /** Sorted set moveId → time of the moves this bucket received: a move is applied once. */
  public static String received(String tag) {
    return tag + ":received";
  }

  /**
   * Set of the tickets whose admission to the product's waiting room was used for a purchase
   * (reserve.lua adds it; single use). The room's other keys are in {@code waitingroom/RoomKeys}.
   */
  public static String admissionsUsed(long productId) {
    return admissionsUsed(tag(productId));
  }

  public static String admissionsUsed(String tag) {
    return tag + ":q:used";
  }
}
