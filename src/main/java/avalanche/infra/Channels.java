package avalanche.infra;

/**
 * Every event-bus address and every Redis channel of the server, in one place (docs/architecture.md
 * lists who serves each). Event-bus addresses are local to a process; the Redis channels connect
 * the processes.
 */
public final class Channels {
  private Channels() {}

  /**
   * Event bus: writes the attempts the sold-out cache answered into the stats, then replies (stats
   * read first).
   */
  public static final String STOCK_COUNTS_FLUSH = "stock.counts.flush";

  /** Event bus: runs one inventory sync now → {@code {products}}. */
  public static final String INVENTORY_SYNC = "inventory.sync";

  /** Event bus: {@code {kind: VERIFY|RESET, to, token}}, sent by the mail verticle. */
  public static final String MAIL_SEND = "mail.send";

  /**
   * Event bus, published: the live feed's snapshot of the second as a ready server-sent-event frame
   * (a Buffer).
   */
  public static final String OPS_LIVE_SNAPSHOT = "ops.live.snapshot";

  /**
   * Redis pub/sub: release.lua announces a unit back on sale, {@code "{p:<id>} <returns>"} (named
   * there too).
   */
  public static final String STOCK_RETURNED = "stock.returned";

  /**
   * Redis stream: ended session ids (field {@code sids}), read by every process's revocation feed.
   */
  public static final String SESSION_REVOKED = "session.revoked";
}
