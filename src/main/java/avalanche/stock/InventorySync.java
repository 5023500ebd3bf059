package avalanche.stock;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes every product's live counters (available, reserved, sold) from Redis to PostgreSQL. Walks
 * the {@code products} index a page at a time (never {@code KEYS}), reads a page with one pipelined
 * batch of O(1) {@code HMGET}s, and writes it with one {@code UPDATE ... FROM unnest(...)}. {@code
 * synced_at} is the moment of the Redis read, and a row is only overwritten by a newer read, so
 * concurrent passes (several processes) never put older counters over newer ones.
 */
public final class InventorySync {
  private static final String UPDATE =
      """
      UPDATE products AS p
      SET available = u.available, reserved = u.reserved, sold = u.sold, synced_at = $5
      FROM unnest($1::bigint[], $2::int[], $3::int[], $4::int[]) AS u(id, available, reserved, sold)
      WHERE p.id = u.id AND (p.synced_at IS NULL OR p.synced_at <= $5)""";

  private final Pool pg;
  private final Redis redis;
  private final int pageSize;

  public InventorySync(Pool pg, Redis redis, int pageSize) {
    this.pg = pg;
    this.redis = redis;
    this.pageSize = pageSize;
  }

  /** One full pass; answers how many PostgreSQL rows were written. */
  public Future<Integer> run() {
    return page(0, 0);
  }

  private Future<Integer> page(long offset, int written) {
    return redis
        .send(
            Request.cmd(Command.ZRANGE)
                .arg(StockKeys.PRODUCT_INDEX)
                .arg(offset)
                .arg(offset + pageSize - 1))
        .compose(
            ids -> {
              if (ids == null || ids.size() == 0) {
                return Future.succeededFuture(written);
              }
              List<Long> productIds = new ArrayList<>();
              for (Response id : ids) {
                productIds.add(id.toLong());
              }
              return write(productIds)
                  .compose(
                      rows ->
                          productIds.size() < pageSize
                              ? Future.succeededFuture(written + rows)
                              : page(offset + pageSize, written + rows));
            });
  }

  private Future<Integer> write(List<Long> productIds) {
    OffsetDateTime readAt = OffsetDateTime.ofInstant(Instant.now(), ZoneOffset.UTC);
    return LiveProducts.read(redis, productIds)
        .compose(
            live -> {
              List<Long> ids = new ArrayList<>();
              List<Integer> available = new ArrayList<>();
              List<Integer> reserved = new ArrayList<>();
              List<Integer> sold = new ArrayList<>();
              for (LiveProducts.Live product : live) {
                // An indexed product without its hash (lost, not yet rebuilt) has nothing to
                // mirror.
                if (product == null) {
                  continue;
                }
                ids.add(product.productId());
                available.add((int) product.totals().available());
                reserved.add((int) product.totals().reserved());
                sold.add((int) product.totals().sold());
              }
              if (ids.isEmpty()) {
                return Future.succeededFuture(0);
              }
              return pg.preparedQuery(UPDATE)
                  .execute(
                      Tuple.of(
                          ids.toArray(Long[]::new),
                          available.toArray(Integer[]::new),
                          reserved.toArray(Integer[]::new),
                          sold.toArray(Integer[]::new),
                          readAt))
                  .map(rows -> rows.rowCount());
            });
  }
}
