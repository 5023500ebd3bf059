package avalanche.verticles;

import avalanche.auth.RevocationCache;
import avalanche.auth.RevocationFeed;
import avalanche.auth.RevocationLog;
import avalanche.auth.SessionEpoch;
import avalanche.infra.Clients;
import avalanche.infra.config.Settings;
import avalanche.infra.redis.RedisFeed;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.redis.client.Redis;

/**
 * Wires this process's revocation cache: the {@link RevocationFeed} on a reconnecting {@link
 * RedisFeed}, a purge of expired entries, and a look at the {@link SessionEpoch} once a second, so
 * tokens whose sessions a Redis data loss took are refused within a second. One instance per
 * process.
 */
public class RevocationFeedVerticle extends VerticleBase {
  private static final long PURGE_MS = 30_000;
  private static final long EPOCH_CHECK_MS = 1_000;

  private Redis client;
  private RedisFeed feed;

  @Override
  public Future<?> start() {
    RevocationCache cache = RevocationCache.of(vertx);
    Settings settings = Settings.from(config());
    client = Clients.redis(vertx, settings.redis());
    feed =
        new RedisFeed(
            vertx,
            client,
            "revocation feed",
            "purchase route checks sessions in Redis",
            new RevocationFeed(cache, RevocationLog.retainMs(settings.jwt())));
    vertx.setPeriodic(PURGE_MS, id -> cache.purge(System.currentTimeMillis()));
    vertx.setPeriodic(EPOCH_CHECK_MS, id -> SessionEpoch.current(client).onSuccess(cache::epoch));
    // Start serving with a live cache when Redis answers; when it does not, the cache catches up
    // later.
    return SessionEpoch.current(client)
        .onSuccess(cache::epoch)
        .otherwiseEmpty()
        .compose(epoch -> feed.start().otherwiseEmpty());
  }

  @Override
  public Future<?> stop() {
    return feed.stop().eventually(client::close);
  }
}
