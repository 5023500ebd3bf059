package avalanche.auth;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sessions ended recently (sid → until when it matters, in epoch ms), in the memory of this
 * process, shared by every ingress instance. It lets the purchase route check a session without a
 * Redis round trip. It is fed twice: at once by this process's own logouts, and within milliseconds
 * by {@code RevocationFeedVerticle} with every process's revocations. While that feed is not
 * connected and caught up it is not {@link #live()}, and callers must ask Redis instead.
 */
public final class RevocationCache implements Shareable {
  private static final String MAP = "avalanche.auth";
  private static final String KEY = "revocations";

  private final Map<String, Long> revoked = new ConcurrentHashMap<>();
  private volatile boolean live;

  /** See {@link SessionEpoch}: sessions of tokens issued before this (epoch ms) are gone. */
  private volatile long epochMs;

  /** The one cache of this Vert.x instance. */
  public static RevocationCache of(Vertx vertx) {
    return (RevocationCache)
        vertx
            .sharedData()
            .<String, Object>getLocalMap(MAP)
            .computeIfAbsent(KEY, k -> new RevocationCache());
  }

  public void revoke(Collection<String> sids, long untilMs) {
    for (String sid : sids) {
      revoked.merge(sid, untilMs, Math::max);
    }
  }

  public boolean isRevoked(String sid) {
    return revoked.containsKey(sid);
  }

  /** True while the feed is connected and has read everything up to now. */
  public boolean live() {
    return live;
  }

  public void live(boolean live) {
    this.live = live;
  }

  public void epoch(long epochMs) {
    this.epochMs = epochMs;
  }

  /**
   * Whether the session of a token issued at {@code issuedAtSeconds} went with a Redis that lost
   * its data.
   */
  public boolean lost(long issuedAtSeconds) {
    return SessionEpoch.predates(issuedAtSeconds, epochMs);
  }

  /** Forgets revocations whose access tokens have all expired. */
  public void purge(long nowMs) {
    revoked.values().removeIf(until -> until < nowMs);
  }

  public int size() {
    return revoked.size();
  }
}
