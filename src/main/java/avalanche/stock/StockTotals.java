package avalanche.stock;

import io.vertx.redis.client.Response;
import java.util.List;

/**
 * A product's live counters summed over its buckets. {@code total} is kept by the first bucket
 * alone; units lent from one bucket to another and not received yet ({@code lentOut - lentIn})
 * count as available: they are on sale, in flight for an instant. {@code returned}: units given
 * back by cancelled or expired orders (a bucket's {@code returns} also numbers the arrivals of lent
 * units, which are not returns).
 */
public record StockTotals(
    long total,
    long available,
    long reserved,
    long sold,
    long attempts,
    long won,
    long lost,
    long soldOutRejections,
    long alreadyPurchased,
    long returned) {

  /** From the live hash (HGETALL) of every bucket, the first bucket first. */
  public static StockTotals of(List<Response> buckets) {
    long available = 0;
    long reserved = 0;
    long sold = 0;
    long attempts = 0;
    long won = 0;
    long lost = 0;
    long soldOut = 0;
    long already = 0;
    long returned = 0;
    for (Response hash : buckets) {
      available += number(hash, "available") + number(hash, "lentOut") - number(hash, "lentIn");
      reserved += number(hash, "reserved");
      sold += number(hash, "sold");
      attempts += number(hash, "attempts");
      won += number(hash, "won");
      lost += number(hash, "lost");
      soldOut += number(hash, "soldOutRejections");
      already += number(hash, "alreadyPurchased");
      returned += number(hash, "returns") - number(hash, "arrivals");
    }
    return new StockTotals(
        number(buckets.get(0), "total"),
        available,
        reserved,
        sold,
        attempts,
        won,
        lost,
        soldOut,
        already,
        returned);
  }

  private static long number(Response hash, String field) {
    Response value = hash == null ? null : hash.get(field);
    return value == null ? 0 : value.toLong();
  }
}
