package avalanche.verticles;

import avalanche.auth.RevocationCache;
import avalanche.auth.RevocationLog;
import avalanche.auth.SessionEpoch;
import avalanche.infra.Clients;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Keeps this process's {@link RevocationCache} in step with the Redis stream {@value RevocationLog#STREAM}: a
 * blocking {@code XREAD} on its own connection returns each revocation as soon as any process appends it. The
 * cache is {@link RevocationCache#live() live} only while that read is in place and everything before it has been
 * read; after a dropped connection it reconnects with backoff and resumes after the last entry it saw, so no
 * revocation is missed, and until then the purchase route asks Redis instead. It also follows the
 * {@link SessionEpoch}, so tokens whose sessions a Redis data loss took are refused within a second.
 */
public class RevocationFeedVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(RevocationFeedVerticle.class);
  private static final long BLOCK_MS = 5_000;
  private static final int BATCH = 1_000;
  private static final long EPOCH_CHECK_MS = 1_000;

  private RevocationCache cache;
  private Redis client;
  private RedisConnection connection;
  private long retainMs;
  private String lastId;
  private long retryDelayMs = 100;
  private boolean stopped;

  @Override
  public Future<?> start() {
    cache = RevocationCache.of(vertx);
    client = Clients.redis(vertx, config());
    retainMs = RevocationLog.retainMs(config());
    lastId = (System.currentTimeMillis() - retainMs) + "-0";
    vertx.setPeriodic(30_000, id -> cache.purge(System.currentTimeMillis()));
    // Once a second: has Redis lost its data (and so every session) since the last look?
    vertx.setPeriodic(EPOCH_CHECK_MS, id -> SessionEpoch.current(client).onSuccess(cache::epoch));
    // Start serving with a live cache when Redis answers; when it does not, the cache catches up later.
    return SessionEpoch.current(client).onSuccess(cache::epoch).otherwiseEmpty()
        .compose(epoch -> connect().otherwiseEmpty());
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    cache.live(false);
    RedisConnection open = connection;
    connection = null;
    return (open == null ? Future.succeededFuture() : open.close().otherwiseEmpty()).eventually(client::close);
  }

  private Future<Void> connect() {
    return client.connect()
        .onFailure(e -> lost(null, e))
        .compose(c -> {
          connection = c;
          c.exceptionHandler(e -> lost(c, e));
          c.endHandler(v -> lost(c, null));
          return catchUp(c).onComplete(ar -> {
            if (ar.failed()) {
              lost(c, ar.cause());
            } else if (c == connection && !stopped) {
              retryDelayMs = 100;
              cache.live(true);
              follow(c);
            }
          });
        });
  }

  /** Reads, without blocking, everything after {@code lastId}. */
  private Future<Void> catchUp(RedisConnection c) {
    return c.send(read(false)).compose(r -> apply(r) == BATCH ? catchUp(c) : Future.succeededFuture());
  }

  /** One blocking read after another; a read that outlives its block time means a dead connection. */
  private void follow(RedisConnection c) {
    if (stopped || c == null || c != connection) {
      return;
    }
    c.send(read(true))
        .timeout(BLOCK_MS + 5_000, TimeUnit.MILLISECONDS)
        .onSuccess(r -> {
          apply(r);
          follow(c);
        })
        .onFailure(e -> lost(c, e));
  }

  private Request read(boolean block) {
    Request r = Request.cmd(Command.XREAD).arg("COUNT").arg(BATCH);
    if (block) {
      r.arg("BLOCK").arg(BLOCK_MS);
    }
    return r.arg("STREAMS").arg(RevocationLog.STREAM).arg(lastId);
  }

  /** Adds the entries of one XREAD answer (RESP2 array or RESP3 map) to the cache; returns how many. */
  private int apply(Response answer) {
    if (answer == null) {
      return 0;
    }
    Response entries = answer.isMap() ? answer.get(RevocationLog.STREAM) : answer.get(0).get(1);
    if (entries == null) {
      return 0;
    }
    for (Response entry : entries) {
      String id = entry.get(0).toString();
      List<String> sids = RevocationLog.sids(entry.get(1));
      long at = Long.parseLong(id.substring(0, id.indexOf('-')));
      cache.revoke(sids, at + retainMs);
      lastId = id;
    }
    return entries.size();
  }

  private void lost(RedisConnection c, Throwable cause) {
    if (stopped || (c != null && c != connection)) {
      return;
    }
    cache.live(false);
    connection = null;
    if (c != null) {
      c.close();
    }
    LOG.warn("revocation feed lost ({}); purchase route checks sessions in Redis until it is back, retry in {} ms",
        cause == null ? "connection closed" : cause.getMessage(), retryDelayMs);
    long delay = retryDelayMs;
    retryDelayMs = Math.min(5_000, retryDelayMs * 2);
    vertx.setTimer(delay, id -> {
      if (!stopped && connection == null) {
        connect();
      }
    });
  }
}
