package avalanche.stock;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The buckets of the products this process has seen, shared by its verticles. A product's buckets
 * never change once it is created, so an entry is kept for good; a product not found is not
 * remembered (it may be created a moment later).
 */
public final class BucketDirectory implements Shareable {
  private static final String MAP = "avalanche.stock";
  private static final String KEY = "buckets";

  private final Map<Long, Buckets> known = new ConcurrentHashMap<>();

  /** The one directory of this Vert.x instance. */
  public static BucketDirectory of(Vertx vertx) {
    return (BucketDirectory)
        vertx
            .sharedData()
            .<String, Object>getLocalMap(MAP)
            .computeIfAbsent(KEY, k -> new BucketDirectory());
  }

  /** The product's buckets when already known, else null (then ask {@link #load}). */
  public Buckets known(long productId) {
    return known.get(productId);
  }

  /**
   * The product's buckets, read from its first bucket's hash when not known yet; null when the
   * product does not exist (or its hash is being rebuilt).
   */
  public Future<Buckets> load(Function<Request, Future<Response>> send, long productId) {
    Buckets cached = known.get(productId);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return send.apply(
            Request.cmd(Command.HMGET)
                .arg(StockKeys.product(productId))
                .arg(Buckets.SALTS_FIELD)
                .arg("dropAt"))
        .map(
            fields -> {
              if (fields == null || fields.get(1) == null) {
                return null;
              }
              Response salts = fields.get(0);
              Buckets buckets = Buckets.parse(productId, salts == null ? null : salts.toString());
              known.put(productId, buckets);
              return buckets;
            });
  }
}
