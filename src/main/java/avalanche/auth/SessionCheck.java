package avalanche.auth;

import io.vertx.core.Future;

/** Whether the session behind a verified access token is still alive. */
@FunctionalInterface
public interface SessionCheck {
  Future<Boolean> alive(UserContext user);

  /**
   * One Redis round trip ({@code EXISTS}) per request: for every route but the purchase hot path.
   */
  static SessionCheck inRedis(SessionStore sessions) {
    return user -> sessions.isAlive(user.userId(), user.sessionId());
  }

  /**
   * No round trip while the revocation cache is live (the purchase route's only round trip stays
   * the reserve script); falls back to Redis while the cache's feed is down or catching up. A token
   * issued before Redis last lost its data is refused: its session went with it ({@link
   * SessionEpoch}).
   */
  static SessionCheck cached(RevocationCache cache, SessionStore sessions) {
    Future<Boolean> yes = Future.succeededFuture(true);
    Future<Boolean> no = Future.succeededFuture(false);
    return user -> {
      if (cache.isRevoked(user.sessionId()) || cache.lost(user.issuedAt())) {
        return no;
      }
      return cache.live() ? yes : sessions.isAlive(user.userId(), user.sessionId());
    };
  }
}
