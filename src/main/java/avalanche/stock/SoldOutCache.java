package avalanche.stock;

import avalanche.stock.Reservation.Outcome;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Products known to be sold out, in the memory of this process (shared by every ingress instance),
 * so that the crowd hammering a sold-out drop is answered without a Redis round trip.
 *
 * <p>An entry is made from a SOLD_OUT answer of reserve.lua, which carries the count of units
 * returned to each of the product's buckets (one for an unbucketed product), plus a snapshot of the
 * product's buyers (so ALREADY_PURCHASED is still answered before SOLD_OUT). While a product is
 * sold out its buyers cannot change: adding one needs a unit, and removing one returns a unit.
 * Every return (and every arrival of units lent between buckets) is numbered per bucket and
 * published on {@code stock.returned}; the feed drops entries older than the return, and refuses to
 * make one from an answer older than a return it has seen. The cache is used only while that feed
 * is {@link #live()}; entries also expire, as a bound on anything unforeseen.
 *
 * <p>The attempts answered here are counted here and added to the product's statistics by {@link
 * #drainCounts()}.
 */
public final class SoldOutCache implements Shareable {
  private static final String MAP = "avalanche.stock";
  private static final String KEY = "sold-out";
  static final long ENTRY_TTL_MS = 5_000;

  private record SoldOut(Map<String, Long> returns, Set<String> buyers, long expiresAt) {
    /** Whether a return numbered {@code returns} to bucket {@code tag} came after this answer. */
    boolean before(String tag, long returns) {
      Long known = this.returns.get(tag);
      return known == null || known < returns;
    }
  }

  /** Attempts answered from the cache and not yet added to Redis. */
  public record Counts(long productId, long soldOut, long alreadyPurchased) {}

  private final Map<Long, SoldOut> soldOut = new ConcurrentHashMap<>();

  /** Per bucket tag, the highest return number seen. */
  private final Map<String, Long> lastReturn = new ConcurrentHashMap<>();

  private final Set<Long> arming = ConcurrentHashMap.newKeySet();
  private final Map<Long, AtomicLong[]> pending = new ConcurrentHashMap<>();
  private volatile boolean live;

  /** The one cache of this Vert.x instance. */
  public static SoldOutCache of(Vertx vertx) {
    return (SoldOutCache)
        vertx
            .sharedData()
            .<String, Object>getLocalMap(MAP)
            .computeIfAbsent(KEY, k -> new SoldOutCache());
  }

  /**
   * SOLD_OUT or ALREADY_PURCHASED when this process knows the answer (and counts it); null to ask
   * Redis.
   */
  public Outcome answer(long productId, long userId, long nowMs) {
    if (!knows(productId, nowMs)) {
      return null;
    }
    SoldOut entry = soldOut.get(productId);
    if (entry == null) {
      return null;
    }
    boolean buyer = entry.buyers.contains(Long.toString(userId));
    AtomicLong[] counts =
        pending.computeIfAbsent(
            productId, id -> new AtomicLong[] {new AtomicLong(), new AtomicLong()});
    counts[buyer ? 1 : 0].incrementAndGet();
    return buyer ? Outcome.ALREADY_PURCHASED : Outcome.SOLD_OUT;
  }

  /**
   * Whether a SOLD_OUT answer made after {@code returns} returns (per bucket tag) should become an
   * entry; true at most once at a time per product (the caller then reads the buyers and calls
   * {@link #arm} or {@link #disarm}).
   */
  public boolean shouldArm(long productId, Map<String, Long> returns, long nowMs) {
    if (!live || missed(returns)) {
      return false;
    }
    SoldOut entry = soldOut.get(productId);
    return (entry == null || entry.expiresAt < nowMs) && arming.add(productId);
  }

  public void arm(
      long productId, Map<String, Long> returns, Collection<String> buyers, long nowMs) {
    arming.remove(productId);
    if (live && !missed(returns)) {
      soldOut.put(productId, new SoldOut(returns, Set.copyOf(buyers), nowMs + ENTRY_TTL_MS));
      // A return seen while the buyers were read makes the entry stale at once.
      if (missed(returns)) {
        soldOut.remove(productId);
      }
    }
  }

  /** Whether a return newer than the answer's count has been seen for one of its buckets. */
  private boolean missed(Map<String, Long> returns) {
    for (Map.Entry<String, Long> bucket : returns.entrySet()) {
      if (bucket.getValue() < lastReturn.getOrDefault(bucket.getKey(), 0L)) {
        return true;
      }
    }
    return false;
  }

  public void disarm(long productId) {
    arming.remove(productId);
  }

  /**
   * Return number {@code returns} of bucket {@code tag} happened: an entry made before it is stale.
   */
  public void returned(String tag, long returns) {
    lastReturn.merge(tag, returns, Math::max);
    soldOut.computeIfPresent(
        StockKeys.productOfTag(tag), (id, entry) -> entry.before(tag, returns) ? null : entry);
  }

  /** Whether attempts on this product are answered from memory now. */
  public boolean knows(long productId, long nowMs) {
    SoldOut entry = live ? soldOut.get(productId) : null;
    return entry != null && entry.expiresAt >= nowMs;
  }

  public boolean live() {
    return live;
  }

  /** Going live or not forgets everything: returns may have been missed while the feed was away. */
  public void live(boolean live) {
    this.live = live;
    soldOut.clear();
    lastReturn.clear();
  }

  /**
   * Takes the attempts counted since the last call; the caller adds them to Redis, or gives them
   * back.
   */
  public List<Counts> drainCounts() {
    List<Counts> drained = new ArrayList<>();
    pending.forEach(
        (productId, counts) -> {
          long soldOutCount = counts[0].getAndSet(0);
          long already = counts[1].getAndSet(0);
          if (soldOutCount > 0 || already > 0) {
            drained.add(new Counts(productId, soldOutCount, already));
          }
        });
    return drained;
  }

  /** Puts back counts that could not be written. */
  public void restore(List<Counts> counts) {
    for (Counts c : counts) {
      AtomicLong[] slot =
          pending.computeIfAbsent(
              c.productId(), id -> new AtomicLong[] {new AtomicLong(), new AtomicLong()});
      slot[0].addAndGet(c.soldOut());
      slot[1].addAndGet(c.alreadyPurchased());
    }
  }
}
