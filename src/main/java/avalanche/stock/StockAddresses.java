package avalanche.stock;

/** Event-bus addresses of the stock verticles (local to a process). */
public final class StockAddresses {
  public static final String RESERVE = "stock.reserve";
  public static final String RELEASE = "stock.release";
  public static final String CONFIRM = "stock.confirm";
  public static final String INIT = "stock.init";
  /** Served by the sold-out feed: writes the attempts the sold-out cache answered, then replies. */
  public static final String FLUSH_COUNTS = "stock.counts.flush";

  private StockAddresses() {}
}
