package avalanche.stock;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads products' live state: the first bucket's hash (catalogue fields, waiting room, {@code
 * total}) and the counters summed over every bucket. Two pipelined reads at most: the first
 * buckets, then the other buckets of the split products among them.
 */
public final class LiveProducts {
  /** One product: its first bucket's hash and its totals. */
  public record Live(long productId, Response first, StockTotals totals) {}

  private LiveProducts() {}

  /** The products of {@code ids} in that order; null for one whose hash is missing. */
  public static Future<List<Live>> read(Redis redis, List<Long> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Request> firsts = new ArrayList<>(ids.size());
    for (long id : ids) {
      firsts.add(Request.cmd(Command.HGETALL).arg(StockKeys.product(id)));
    }
    return redis
        .batch(firsts)
        .compose(
            hashes -> {
              List<Request> others = new ArrayList<>();
              List<Buckets> split = new ArrayList<>(ids.size());
              for (int i = 0; i < ids.size(); i++) {
                Buckets buckets =
                    present(hashes.get(i)) ? buckets(ids.get(i), hashes.get(i)) : null;
                split.add(buckets);
                if (buckets != null) {
                  for (int b = 1; b < buckets.count(); b++) {
                    others.add(Request.cmd(Command.HGETALL).arg(StockKeys.bucket(buckets.tag(b))));
                  }
                }
              }
              Future<List<Response>> rest =
                  others.isEmpty() ? Future.succeededFuture(List.of()) : redis.batch(others);
              return rest.map(
                  more -> {
                    List<Live> out = new ArrayList<>(ids.size());
                    int next = 0;
                    for (int i = 0; i < ids.size(); i++) {
                      Response first = hashes.get(i);
                      if (!present(first)) {
                        out.add(null);
                        continue;
                      }
                      List<Response> all = new ArrayList<>(List.of(first));
                      Buckets buckets = split.get(i);
                      int count = buckets == null ? 1 : buckets.count();
                      for (int b = 1; b < count; b++) {
                        all.add(more.get(next++));
                      }
                      out.add(new Live(ids.get(i), first, StockTotals.of(all)));
                    }
                    return out;
                  });
            });
  }

  private static boolean present(Response hash) {
    return hash != null && hash.size() > 0;
  }

  private static Buckets buckets(long productId, Response first) {
    Response salts = first.get(Buckets.SALTS_FIELD);
    return Buckets.parse(productId, salts == null ? null : salts.toString());
  }
}
