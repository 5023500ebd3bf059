package avalanche.waitingroom;

import avalanche.stock.StockKeys;
import java.util.List;

/**
 * Redis keys of one product's waiting room, all under the product's hash tag {@code {p:<id>}} (one
 * Redis Cluster slot with the product hash, so one script reads and writes them together). The
 * room's settings and running totals live in the product hash itself ({@link RoomFields}).
 */
public final class RoomKeys {
  /**
   * Sorted set of the ids of products with a waiting room (score: creation time); the admission
   * step walks it.
   */
  public static final String ROOMS = StockKeys.ROOM_INDEX;

  private RoomKeys() {}

  /**
   * Hash: the join counter {@code seq}; from dropAt {@code shuffled} (when), {@code seed}, {@code
   * preQueued} (how many were shuffled), {@code preSeq} (the last pre-queue join number), {@code
   * admitFrom} and {@code slots} (admission slots used since then).
   */
  public static String room(long productId) {
    return StockKeys.tag(productId) + ":q";
  }

  /**
   * Sorted set ticket → place of every ticket in line (pre-queue and waiting); position = rank + 1.
   */
  public static String line(long productId) {
    return StockKeys.tag(productId) + ":q:line";
  }

  /**
   * Sorted set ticket → last poll (epoch ms) of the tickets in line, so stale ones are found
   * without a scan.
   */
  public static String seen(long productId) {
    return StockKeys.tag(productId) + ":q:seen";
  }

  /**
   * Hash ticket → {@code userId|state|at|place}: state L (in line), A (admitted at, with its
   * place), E (expired; at the unused admission's time), S (sold out).
   */
  public static String tickets(long productId) {
    return StockKeys.tag(productId) + ":q:tickets";
  }

  /** Hash userId → the user's latest ticket. */
  public static String users(long productId) {
    return StockKeys.tag(productId) + ":q:users";
  }

  /**
   * Sorted set ticket → admission time of admissions whose validity has not been checked out yet.
   */
  public static String admitted(long productId) {
    return StockKeys.tag(productId) + ":q:admitted";
  }

  static List<String> join(long productId) {
    return List.of(
        StockKeys.product(productId),
        room(productId),
        line(productId),
        seen(productId),
        tickets(productId),
        users(productId),
        StockKeys.admissionsUsed(productId));
  }

  static List<String> poll(long productId) {
    return List.of(
        StockKeys.product(productId),
        room(productId),
        line(productId),
        seen(productId),
        tickets(productId),
        StockKeys.admissionsUsed(productId));
  }

  static List<String> admit(long productId) {
    return List.of(
        StockKeys.product(productId),
        room(productId),
        line(productId),
        seen(productId),
        tickets(productId),
        admitted(productId),
        StockKeys.admissionsUsed(productId));
  }
}
