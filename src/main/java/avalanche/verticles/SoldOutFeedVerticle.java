package avalanche.verticles;

import avalanche.infra.Channels;
import avalanche.infra.Clients;
import avalanche.infra.config.Settings;
import avalanche.infra.redis.RedisFeed;
import avalanche.infra.redis.RedisLink;
import avalanche.stock.SoldOutCache;
import avalanche.stock.SoldOutFeed;
import avalanche.stock.StockScripts;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.redis.client.Redis;

/**
 * Wires this process's sold-out cache: the {@link SoldOutFeed} on a reconnecting {@link RedisFeed}
 * (live only while subscribed), and the attempts the cache answered written into the products'
 * statistics every {@value #FLUSH_MS} ms and on request ({@code stock.counts.flush}, used before
 * statistics are read). One instance per process.
 */
public class SoldOutFeedVerticle extends VerticleBase {
  private static final long FLUSH_MS = 100;

  private Redis client;
  private Redis subscriber;
  private StockScripts scripts;
  private SoldOutFeed soldOut;
  private RedisFeed feed;
  private long flushTimer;

  @Override
  public Future<?> start() {
    Settings settings = Settings.from(config());
    client = Clients.redis(vertx, settings.redis());
    scripts = new StockScripts(new RedisLink(client), settings.drop().reservationTtlMs());
    // In a Redis Cluster the subscription needs a plain connection to one node (rotating over the
    // seeds).
    subscriber = Clients.redisSubscriber(vertx, settings.redis(), client);
    soldOut = new SoldOutFeed(SoldOutCache.of(vertx), scripts);
    feed =
        new RedisFeed(
            vertx, subscriber, "sold-out feed", "sold-out products are asked in Redis", soldOut);
    flushTimer = vertx.setPeriodic(FLUSH_MS, id -> soldOut.flush());
    vertx
        .eventBus()
        .localConsumer(
            Channels.STOCK_COUNTS_FLUSH,
            msg -> soldOut.flush().onComplete(done -> msg.reply(null)));
    // Serve without the cache when Redis does not answer yet: the feed comes live later.
    return scripts.load().compose(loaded -> feed.start()).otherwiseEmpty();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(flushTimer);
    return feed.stop()
        .eventually(soldOut::flush)
        .eventually(scripts::close)
        .eventually(() -> subscriber == client ? Future.succeededFuture() : subscriber.close())
        .eventually(client::close);
  }
}
