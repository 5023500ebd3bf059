package avalanche.auth;

import avalanche.infra.Channels;
import avalanche.infra.redis.RedisFeed;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Keeps this process's {@link RevocationCache} in step with the Redis stream {@value
 * Channels#SESSION_REVOKED}: a blocking {@code XREAD} on the feed's own connection returns each
 * revocation as soon as any process appends it. The cache is {@link RevocationCache#live() live}
 * only while that read is in place and everything before it has been read; after a dropped
 * connection the {@link RedisFeed} reconnects and this reader resumes after the last entry it saw,
 * so no revocation is missed, and until then the purchase route asks Redis instead.
 */
public final class RevocationFeed implements RedisFeed.Reader {
  private static final long BLOCK_MS = 5_000;
  private static final int BATCH = 1_000;

  private final RevocationCache cache;
  private final long retainMs;
  private String lastId;

  public RevocationFeed(RevocationCache cache, long retainMs) {
    this.cache = cache;
    this.retainMs = retainMs;
    this.lastId = (System.currentTimeMillis() - retainMs) + "-0";
  }

  /** Reads, without blocking, everything after the last entry seen. */
  @Override
  public Future<Void> open(RedisConnection c) {
    return c.send(read(false)).compose(r -> apply(r) == BATCH ? open(c) : Future.succeededFuture());
  }

  @Override
  public void live(boolean live) {
    cache.live(live);
  }

  /** One blocking read; a read that outlives its block time means a dead connection. */
  @Override
  public Future<Void> next(RedisConnection c) {
    return c.send(read(true))
        .timeout(BLOCK_MS + 5_000, TimeUnit.MILLISECONDS)
        .map(
            r -> {
              apply(r);
              return null;
            });
  }

  private Request read(boolean block) {
    Request r = Request.cmd(Command.XREAD).arg("COUNT").arg(BATCH);
    if (block) {
      r.arg("BLOCK").arg(BLOCK_MS);
    }
    return r.arg("STREAMS").arg(Channels.SESSION_REVOKED).arg(lastId);
  }

  /**
   * Adds the entries of one XREAD answer (RESP2 array or RESP3 map) to the cache; returns how many.
   */
  private int apply(Response answer) {
    if (answer == null) {
      return 0;
    }
    Response entries = answer.isMap() ? answer.get(Channels.SESSION_REVOKED) : answer.get(0).get(1);
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
}
