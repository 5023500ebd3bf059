package avalanche.stock;

import avalanche.infra.Channels;
import avalanche.infra.redis.RedisFeed;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps this process's {@link SoldOutCache} honest: subscribes to the Redis channel {@value
 * Channels#STOCK_RETURNED}, where release.lua announces every unit put back on sale, and marks the
 * cache live only while subscribed (after a dropped connection the {@link RedisFeed} resubscribes,
 * and the cache starts empty). It also writes the attempts the cache answered into the products'
 * statistics ({@link #flush}).
 */
public final class SoldOutFeed implements RedisFeed.Reader {
  private final SoldOutCache cache;
  private final StockScripts scripts;

  public SoldOutFeed(SoldOutCache cache, StockScripts scripts) {
    this.cache = cache;
    this.scripts = scripts;
  }

  @Override
  public Future<Void> open(RedisConnection c) {
    c.handler(this::onMessage);
    return c.send(Request.cmd(Command.SUBSCRIBE).arg(Channels.STOCK_RETURNED)).mapEmpty();
  }

  @Override
  public void live(boolean live) {
    cache.live(live);
  }

  /**
   * {@code message stock.returned "<bucket tag> <returns>"}; subscription confirmations are
   * ignored.
   */
  private void onMessage(Response message) {
    if (message.size() < 3 || !"message".equals(message.get(0).toString())) {
      return;
    }
    String payload = message.get(2).toString();
    int space = payload.indexOf(' ');
    String tag = payload.substring(0, Math.max(space, 0));
    if (StockKeys.productOfTag(tag) > 0) {
      cache.returned(tag, Long.parseLong(payload.substring(space + 1)));
    }
  }

  /** Writes the counted attempts; what could not be written is kept for the next flush. */
  public Future<Void> flush() {
    List<Future<Void>> writes = new ArrayList<>();
    for (SoldOutCache.Counts counts : cache.drainCounts()) {
      writes.add(scripts.addCounts(counts).onFailure(e -> cache.restore(List.of(counts))));
    }
    return writes.isEmpty() ? Future.succeededFuture() : Future.join(writes).mapEmpty();
  }
}
