package avalanche.live;

import avalanche.infra.DropMetrics;
import avalanche.stock.StockKeys;
import avalanche.waitingroom.RoomFields;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one {@link Sample}: the newest products' counters with one ZRANGE and one pipelined batch
 * of HMGETs (the counters every process writes, the waiting room's line among them), the open sagas
 * with one count on the partial index of open sagas, and this process's own counts. No KEYS,
 * nothing per viewer.
 */
public final class LiveSampler {
  /** The live view follows the newest products, as the catalogue lists them. */
  static final int MAX_PRODUCTS = 500;

  private static final String[] FIELDS = {
    "name",
    "dropAt",
    "available",
    "reserved",
    "sold",
    "won",
    "lost",
    "soldOutRejections",
    "alreadyPurchased",
    "returns",
    RoomFields.ADMIT_PER_SECOND,
    RoomFields.WAITING
  };

  private final Redis redis;
  private final Pool pg;
  private final DropMetrics metrics;

  public LiveSampler(Redis redis, Pool pg, DropMetrics metrics) {
    this.redis = redis;
    this.pg = pg;
    this.metrics = metrics;
  }

  public Future<Sample> sample() {
    long at = System.currentTimeMillis();
    Future<Long> sagasOpen =
        pg.query("SELECT count(*) FROM orders WHERE saga_due_at IS NOT NULL")
            .execute()
            .map(rows -> rows.iterator().next().getLong(0))
            .otherwiseEmpty();
    return products()
        .compose(
            products ->
                sagasOpen.transform(
                    done ->
                        Future.succeededFuture(
                            new Sample(
                                at,
                                products,
                                metrics.rejectedByProduct(),
                                sagasOpen.result(),
                                metrics.purchaseP99Ms()))));
  }

  private Future<List<ProductSample>> products() {
    return redis
        .send(Request.cmd(Command.ZRANGE).arg(StockKeys.PRODUCT_INDEX).arg(-MAX_PRODUCTS).arg(-1))
        .compose(
            index -> {
              List<Long> ids = new ArrayList<>();
              List<Request> reads = new ArrayList<>();
              for (Response id : index) {
                ids.add(id.toLong());
                Request read = Request.cmd(Command.HMGET).arg(StockKeys.product(id.toLong()));
                for (String field : FIELDS) {
                  read.arg(field);
                }
                reads.add(read);
              }
              if (reads.isEmpty()) {
                return Future.succeededFuture(List.of());
              }
              return redis
                  .batch(reads)
                  .map(
                      hashes -> {
                        List<ProductSample> products = new ArrayList<>();
                        for (int i = 0; i < hashes.size(); i++) {
                          Response h = hashes.get(i);
                          // A product in the index whose hash is gone (Redis being rebuilt) is left
                          // out until it is back.
                          if (h != null && h.get(1) != null) {
                            products.add(
                                new ProductSample(
                                    ids.get(i),
                                    text(h, 0),
                                    number(h, 1),
                                    number(h, 2),
                                    number(h, 3),
                                    number(h, 4),
                                    number(h, 5),
                                    number(h, 6),
                                    number(h, 7),
                                    number(h, 8),
                                    number(h, 9),
                                    // A product without a room has no admission rate.
                                    h.get(10) == null ? null : number(h, 11)));
                          }
                        }
                        return products;
                      });
            });
  }

  private static String text(Response values, int i) {
    Response value = values.get(i);
    return value == null ? null : value.toString();
  }

  private static long number(Response values, int i) {
    Response value = values.get(i);
    return value == null ? 0 : value.toLong();
  }
}
