package avalanche.infra.redis;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A feed from Redis on a connection of its own (a pub/sub subscription, a blocking stream read)
 * that must be in place for an in-memory cache to be trusted. The feed is live only while its
 * connection is open and {@link Reader#open} succeeded on it; when the connection drops or fails,
 * the reader is told at once (so the cache stops being trusted), and the feed reconnects with
 * backoff (100 ms doubling to 5 s) until it is live again.
 */
public final class RedisFeed {
  private static final Logger LOG = LoggerFactory.getLogger(RedisFeed.class);
  private static final long FIRST_RETRY_MS = 100;
  private static final long MAX_RETRY_MS = 5_000;

  /** What a feed does with its connection. */
  public interface Reader {
    /** Sets up a new connection (subscribe, catch up); the feed is live once this succeeds. */
    Future<Void> open(RedisConnection connection);

    /** The feed is live, or no longer live. */
    void live(boolean live);

    /**
     * One read on a live connection (a blocking read, say), made again as soon as it succeeds, for
     * as long as the connection is the feed's; a failed read drops the connection. Null when Redis
     * pushes (a subscription).
     */
    default Future<Void> next(RedisConnection connection) {
      return null;
    }
  }

  private final Vertx vertx;
  private final Redis client;
  private final String name;
  private final String meanwhile;
  private final Reader reader;
  private RedisConnection connection;
  private long retryDelayMs = FIRST_RETRY_MS;
  private boolean stopped;

  /** {@code meanwhile} says, for the log, what the process does while the feed is lost. */
  public RedisFeed(Vertx vertx, Redis client, String name, String meanwhile, Reader reader) {
    this.vertx = vertx;
    this.client = client;
    this.name = name;
    this.meanwhile = meanwhile;
    this.reader = reader;
  }

  /** Connects; fails when the first attempt does, and keeps retrying in the background. */
  public Future<Void> start() {
    return client
        .connect()
        .onFailure(e -> lost(null, e))
        .compose(
            c -> {
              connection = c;
              c.exceptionHandler(e -> lost(c, e));
              c.endHandler(v -> lost(c, null));
              return reader
                  .open(c)
                  .onComplete(
                      ar -> {
                        if (ar.failed()) {
                          lost(c, ar.cause());
                        } else if (current(c)) {
                          retryDelayMs = FIRST_RETRY_MS;
                          reader.live(true);
                          follow(c);
                        }
                      });
            });
  }

  private boolean current(RedisConnection c) {
    return !stopped && c != null && c == connection;
  }

  private void follow(RedisConnection c) {
    if (!current(c)) {
      return;
    }
    Future<Void> read = reader.next(c);
    if (read != null) {
      read.onSuccess(v -> follow(c)).onFailure(e -> lost(c, e));
    }
  }

  private void lost(RedisConnection c, Throwable cause) {
    if (stopped || (c != null && c != connection)) {
      return;
    }
    reader.live(false);
    connection = null;
    if (c != null) {
      c.close();
    }
    LOG.warn(
        "{} lost ({}); {} until it is back, retry in {} ms",
        name,
        cause == null ? "connection closed" : cause.getMessage(),
        meanwhile,
        retryDelayMs);
    long delay = retryDelayMs;
    retryDelayMs = Math.min(MAX_RETRY_MS, retryDelayMs * 2);
    vertx.setTimer(
        delay,
        id -> {
          if (!stopped && connection == null) {
            start();
          }
        });
  }

  /** Closes the connection; no reconnect follows. */
  public Future<Void> stop() {
    stopped = true;
    reader.live(false);
    RedisConnection open = connection;
    connection = null;
    return open == null ? Future.succeededFuture() : open.close().otherwiseEmpty();
  }
}
