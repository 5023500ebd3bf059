package avalanche.auth;

import avalanche.infra.Channels;
import avalanche.infra.config.JwtSettings;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces ended sessions to every ingress process: appends their sids to the Redis stream {@value
 * Channels#SESSION_REVOKED} (read by {@link RevocationFeed}) and, when given, to this process's
 * cache at once. A stream rather than plain pub/sub: a reader that was disconnected resumes from
 * the last entry it saw, so no revocation is lost. Entries older than the longest access-token life
 * are trimmed as new ones arrive.
 */
public final class RevocationLog {
  public static final String FIELD = "sids";
  private static final Logger LOG = LoggerFactory.getLogger(RevocationLog.class);

  private final Redis redis;
  private final RevocationCache local;
  private final long retainMs;

  public RevocationLog(Redis redis, RevocationCache local, JwtSettings jwt) {
    this.redis = redis;
    this.local = local;
    this.retainMs = retainMs(jwt);
  }

  /**
   * How long a revocation matters: the longest an access token issued before it can still be
   * presented.
   */
  public static long retainMs(JwtSettings jwt) {
    return (jwt.accessTtlSeconds() + 60L) * 1000;
  }

  /** Never fails: see below. */
  public Future<Void> announce(List<String> sids) {
    if (sids.isEmpty()) {
      return Future.succeededFuture();
    }
    long now = System.currentTimeMillis();
    if (local != null) {
      local.revoke(sids, now + retainMs);
    }
    Request add =
        Request.cmd(Command.XADD)
            .arg(Channels.SESSION_REVOKED)
            .arg("MINID")
            .arg("~")
            .arg(now - retainMs)
            .arg("*")
            .arg(FIELD)
            .arg(String.join(",", sids));
    // The sessions are already gone from Redis, so every check that asks Redis refuses them; a
    // failed
    // announcement only leaves other processes' purchase routes trusting them until the tokens
    // expire.
    return redis
        .send(add)
        .recover(first -> redis.send(add))
        .onFailure(e -> LOG.error("could not announce ended sessions {}: {}", sids, e.getMessage()))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /** The sids of one stream entry's field list. */
  public static List<String> sids(Response fields) {
    for (int i = 0; i + 1 < fields.size(); i += 2) {
      if (FIELD.equals(fields.get(i).toString())) {
        return List.of(fields.get(i + 1).toString().split(","));
      }
    }
    return List.of();
  }
}
