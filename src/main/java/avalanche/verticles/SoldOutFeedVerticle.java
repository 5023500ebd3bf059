package avalanche.verticles;

import avalanche.infra.Clients;
import avalanche.stock.RedisLink;
import avalanche.stock.SoldOutCache;
import avalanche.stock.StockAddresses;
import avalanche.stock.StockKeys;
import avalanche.stock.StockScripts;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Keeps this process's {@link SoldOutCache} honest: subscribes to the Redis channel {@value #CHANNEL}, where
 * release.lua announces every unit put back on sale, and marks the cache live only while subscribed (after a
 * dropped connection it resubscribes with backoff, and the cache starts empty). It also writes the attempts the
 * cache answered into the products' statistics, every {@value #FLUSH_MS} ms and on request
 * ({@code stock.counts.flush}, used before statistics are read). One instance per process.
 */
public class SoldOutFeedVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(SoldOutFeedVerticle.class);
  public static final String CHANNEL = "stock.returned";
  static final long FLUSH_MS = 100;

  private SoldOutCache cache;
  private Redis client;
  private StockScripts scripts;
  private RedisConnection subscription;
  /** The subscription's own client; in a cluster each retry takes the next seed node. */
  private Redis subscriber;
  private int subscribeAttempts;
  private long retryDelayMs = 100;
  private long flushTimer;
  private boolean stopped;

  @Override
  public Future<?> start() {
    cache = SoldOutCache.of(vertx);
    client = Clients.redis(vertx, config());
    scripts = new StockScripts(new RedisLink(client), StockScripts.reservationTtlMs(config()));
    flushTimer = vertx.setPeriodic(FLUSH_MS, id -> flush());
    vertx.eventBus().localConsumer(StockAddresses.FLUSH_COUNTS, msg -> flush().onComplete(done -> msg.reply(null)));
    // Serve without the cache when Redis does not answer yet: the feed comes live later.
    return scripts.load().compose(loaded -> subscribe()).otherwiseEmpty();
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    cache.live(false);
    vertx.cancelTimer(flushTimer);
    RedisConnection open = subscription;
    subscription = null;
    return flush()
        .eventually(() -> open == null ? Future.succeededFuture() : open.close().otherwiseEmpty())
        .eventually(scripts::close)
        .eventually(() -> subscriber == null ? Future.succeededFuture() : subscriber.close())
        .eventually(client::close);
  }

  private Future<Void> subscribe() {
    if (subscriber != null) {
      subscriber.close();
    }
    subscriber = Clients.redisSubscriber(vertx, config(), subscribeAttempts++);
    return subscriber.connect()
        .onFailure(e -> lost(null, e))
        .compose(c -> {
          subscription = c;
          c.handler(this::onMessage);
          c.exceptionHandler(e -> lost(c, e));
          c.endHandler(v -> lost(c, null));
          return c.send(Request.cmd(Command.SUBSCRIBE).arg(CHANNEL)).onComplete(ar -> {
            if (ar.failed()) {
              lost(c, ar.cause());
            } else if (c == subscription && !stopped) {
              retryDelayMs = 100;
              cache.live(true);
            }
          });
        })
        .mapEmpty();
  }

  /** {@code message stock.returned "{p:<id>} <returns>"}; subscription confirmations are ignored. */
  private void onMessage(Response message) {
    if (message.size() < 3 || !"message".equals(message.get(0).toString())) {
      return;
    }
    String payload = message.get(2).toString();
    int space = payload.indexOf(' ');
    long productId = StockKeys.productOfTag(payload.substring(0, Math.max(space, 0)));
    if (productId > 0) {
      cache.returned(productId, Long.parseLong(payload.substring(space + 1)));
    }
  }

  /** Writes the counted attempts; what could not be written is kept for the next flush. */
  private Future<Void> flush() {
    List<Future<Void>> writes = new ArrayList<>();
    for (SoldOutCache.Counts counts : cache.drainCounts()) {
      writes.add(scripts.addCounts(counts).onFailure(e -> cache.restore(List.of(counts))));
    }
    return writes.isEmpty() ? Future.succeededFuture() : Future.join(writes).mapEmpty();
  }

  private void lost(RedisConnection c, Throwable cause) {
    if (stopped || (c != null && c != subscription)) {
      return;
    }
    cache.live(false);
    subscription = null;
    if (c != null) {
      c.close();
    }
    LOG.warn("sold-out feed lost ({}); sold-out products are asked in Redis until it is back, retry in {} ms",
        cause == null ? "connection closed" : cause.getMessage(), retryDelayMs);
    long delay = retryDelayMs;
    retryDelayMs = Math.min(5_000, retryDelayMs * 2);
    vertx.setTimer(delay, id -> {
      if (!stopped && subscription == null) {
        subscribe();
      }
    });
  }
}
