package avalanche.stock;

/** Event-bus addresses served by the stock verticle. */
public final class StockAddresses {
  public static final String RESERVE = "stock.reserve";
  public static final String RELEASE = "stock.release";
  public static final String CONFIRM = "stock.confirm";
  public static final String INIT = "stock.init";

  private StockAddresses() {}
}
