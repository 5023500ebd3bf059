package avalanche.stock;

/**
 * A stock script found the product missing from Redis: Redis lost its data and the repair ({@link
 * StockRebuild}) has not recreated the product yet. Transient: the caller tries again later.
 */
public final class ProductRestoring extends RuntimeException {
  /** What the scripts answer in that case. */
  static final String RETRY = "RETRY";

  public ProductRestoring(long productId) {
    super(
        "product " + productId + " is missing from Redis until the repair rebuilds it",
        null,
        false,
        false);
  }
}
