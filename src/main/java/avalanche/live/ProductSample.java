package avalanche.live;

/**
 * One product's running counters as read from its live Redis hash at one instant; {@code
 * queueWaiting} is the length of its waiting room's line, null for a product without a room.
 */
public record ProductSample(
    long productId,
    String name,
    long dropAt,
    long available,
    long reserved,
    long sold,
    long won,
    long lost,
    long soldOut,
    long alreadyPurchased,
    long returns,
    Long queueWaiting) {
  /**
   * Orders that reached their end: sold units plus units given back by cancelled or expired orders.
   */
  long settled() {
    return sold + returns;
  }
}
