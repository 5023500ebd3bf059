package avalanche.auth;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;

/**
 * When the sessions in Redis began: the key {@value #KEY} holds an epoch in ms before which no
 * session survives. Sessions live only in Redis, so a Redis that lost its data lost every session;
 * the key goes with them, and the first process to notice writes a new epoch. Access tokens issued
 * before it are refused everywhere, also on the purchase route, which checks sessions in memory
 * (see {@link SessionCheck#cached}).
 */
public final class SessionEpoch {
  static final String KEY = "sessions.epoch";

  private SessionEpoch() {}

  /**
   * At start: an empty Redis (new, or one that lost its data) begins a new epoch now; a Redis that
   * has data but no epoch yet (a deployment from before the epoch existed) keeps its sessions
   * (epoch 0).
   */
  public static Future<Long> atStart(Redis redis) {
    return read(redis)
        .compose(
            epoch ->
                epoch != null
                    ? Future.succeededFuture(epoch)
                    : redis
                        .send(Request.cmd(Command.DBSIZE))
                        .compose(
                            size ->
                                begin(redis, size.toLong() == 0 ? System.currentTimeMillis() : 0)));
  }

  /**
   * While running: the current epoch, beginning a new one now if the key has gone (Redis lost its
   * data).
   */
  public static Future<Long> current(Redis redis) {
    return read(redis)
        .compose(
            epoch ->
                epoch != null
                    ? Future.succeededFuture(epoch)
                    : begin(redis, System.currentTimeMillis()));
  }

  private static Future<Long> begin(Redis redis, long epochMs) {
    // NX: of several processes noticing at once, the first one's epoch counts.
    return redis
        .send(Request.cmd(Command.SET).arg(KEY).arg(epochMs).arg("NX"))
        .compose(set -> read(redis))
        .map(epoch -> epoch == null ? epochMs : epoch);
  }

  private static Future<Long> read(Redis redis) {
    return redis.send(Request.cmd(Command.GET).arg(KEY)).map(r -> r == null ? null : r.toLong());
  }

  /** Whether a token issued at {@code issuedAtSeconds} predates the epoch (its session is gone). */
  public static boolean predates(long issuedAtSeconds, long epochMs) {
    // iat has whole seconds: a token of the epoch's own second is given the benefit of the doubt.
    return issuedAtSeconds * 1000 + 999 < epochMs;
  }
}
