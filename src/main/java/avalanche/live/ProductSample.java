package avalanche.live;

/** One product's running counters as read from its live Redis hash at one instant. */
public record ProductSample(long productId, String name, long dropAt, long available, long reserved, long sold,
                            long won, long lost, long soldOut, long alreadyPurchased, long returns) {
  /** Orders that reached their end: sold units plus units given back by cancelled or expired orders. */
  long settled() {
    return sold + returns;
  }
}
