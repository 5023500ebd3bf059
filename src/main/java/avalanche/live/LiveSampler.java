package avalanche.live;

import avalanche.infra.DropMetrics;
import avalanche.stock.LiveProducts;
import avalanche.stock.StockKeys;
import avalanche.stock.StockTotals;
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
              for (Response id : index) {
                ids.add(id.toLong());
              }
              return LiveProducts.read(redis, ids);
            })
        .map(
            live -> {
              List<ProductSample> products = new ArrayList<>();
              for (LiveProducts.Live product : live) {
                // A product in the index whose hash is gone (Redis being rebuilt) is left out
                // until it is back.
                if (product != null) {
                  products.add(sample(product));
                }
              }
              return products;
            });
  }

  private static ProductSample sample(LiveProducts.Live product) {
    Response first = product.first();
    StockTotals t = product.totals();
    Response rate = first.get(RoomFields.ADMIT_PER_SECOND);
    Response waiting = first.get(RoomFields.WAITING);
    return new ProductSample(
        product.productId(),
        first.get("name") == null ? null : first.get("name").toString(),
        first.get("dropAt") == null ? 0 : first.get("dropAt").toLong(),
        t.available(),
        t.reserved(),
        t.sold(),
        t.won(),
        t.lost(),
        t.soldOutRejections(),
        t.alreadyPurchased(),
        t.returned(),
        // A product without a room has no admission rate.
        rate == null ? null : waiting == null ? 0L : waiting.toLong());
  }
}
