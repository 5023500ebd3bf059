package avalanche.stock;

import java.util.ArrayList;
import java.util.List;

/**
 * The buckets a product's stock is split over ({@code buckets} on product creation, 1–64): each is
 * a full copy of the product's live hash with a share of the units, under its own hash tag, so a
 * hot product's attempts spread over as many Redis Cluster slots (and masters).
 *
 * <p>Every attempt of a user is decided in the user's <em>home</em> bucket, a hash of the user id:
 * a shopper cannot choose it, it is the same in every process and on every retry, and the user's
 * buyers entry, order, deadline and outbox entry all live there, so "one attempt per user per
 * product" and "ALREADY_PURCHASED before SOLD_OUT" are decided by one atomic script, as for an
 * unbucketed product. A home bucket that runs dry borrows units from the fullest other bucket
 * ({@link BucketedAttempt}), so nobody is told SOLD_OUT while any bucket still holds a unit.
 */
public record Buckets(long productId, List<Integer> salts) {
  public static final int MAX = 64;

  /** Field of the first bucket's hash listing the other buckets' salts, comma-separated. */
  public static final String SALTS_FIELD = "bucketSalts";

  /**
   * Field of every bucket's hash: when it was created or rebuilt (a move to an older one is void).
   */
  public static final String EPOCH_FIELD = "epoch";

  public Buckets {
    salts = List.copyOf(salts);
  }

  public static Buckets single(long productId) {
    return new Buckets(productId, List.of(0));
  }

  /** From the first bucket's {@link #SALTS_FIELD} (null or empty: one bucket). */
  public static Buckets parse(long productId, String otherSalts) {
    List<Integer> salts = new ArrayList<>();
    salts.add(0);
    if (otherSalts != null && !otherSalts.isEmpty()) {
      for (String salt : otherSalts.split(",")) {
        salts.add(Integer.parseInt(salt));
      }
    }
    return new Buckets(productId, salts);
  }

  /** The value of {@link #SALTS_FIELD}: the salts after the first bucket's. */
  public String otherSalts() {
    StringBuilder out = new StringBuilder();
    for (int i = 1; i < salts.size(); i++) {
      out.append(i > 1 ? "," : "").append(salts.get(i));
    }
    return out.toString();
  }

  public int count() {
    return salts.size();
  }

  public boolean split() {
    return salts.size() > 1;
  }

  public String tag(int bucket) {
    return StockKeys.tag(productId, salts.get(bucket));
  }

  public List<String> tags() {
    List<String> tags = new ArrayList<>(salts.size());
    for (int i = 0; i < salts.size(); i++) {
      tags.add(tag(i));
    }
    return tags;
  }

  /** The index of the user's home bucket. */
  public int home(long userId) {
    return home(userId, salts.size());
  }

  /** The salt of the user's home bucket: what its order ids carry. */
  public int homeSalt(long userId) {
    return salts.size() == 1 ? 0 : salts.get(home(userId));
  }

  /**
   * A mix of the id's bits (SplitMix64's finaliser), so consecutive user ids, as sign-ups hand them
   * out, spread evenly over the buckets.
   */
  static int home(long userId, int count) {
    long z = userId + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return (int) Long.remainderUnsigned(z, count);
  }

  /** How many of {@code units} bucket {@code bucket} starts with: an even split, the rest first. */
  public long share(long units, int bucket) {
    long each = units / salts.size();
    return each + (bucket < units % salts.size() ? 1 : 0);
  }
}
