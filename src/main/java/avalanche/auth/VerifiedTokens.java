package avalanche.auth;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The access tokens one ingress instance verified lately, with their caller: a shopper retrying
 * during a drop sends the same token many times, and its signature and claims need checking only
 * once. An entry serves until the token expires (with the verifier's leeway); sessions are still
 * checked on every request. Confined to one event loop: no locks.
 *
 * <p>A token is remembered the second time it is verified, not the first: a crowd of shoppers who
 * each buy once would otherwise fill the cache with tokens never seen again, each entry living just
 * long enough (thousands of requests) to be copied by the young garbage collections, whose pauses
 * then set the purchases' p99. The first sighting only marks the token's hash in a direct-mapped
 * table of ints, which allocates nothing; a collision merely remembers a token early.
 */
final class VerifiedTokens {
  private record Verified(UserContext user, long expiresAt) {}

  private final Map<String, Verified> entries;

  /** The hashes of tokens verified once, one slot per hash (a later token may take the slot). */
  private final int[] seenOnce;

  VerifiedTokens(int capacity) {
    this.seenOnce = new int[Integer.highestOneBit(Math.max(1, capacity)) * 4];
    this.entries =
        new LinkedHashMap<>(capacity * 4 / 3 + 1, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Verified> eldest) {
            return size() > capacity;
          }
        };
  }

  /** The caller of a token verified before and not yet expired at {@code nowSeconds}, else null. */
  UserContext get(String token, long nowSeconds) {
    Verified entry = entries.get(token);
    if (entry == null) {
      return null;
    }
    if (nowSeconds - JwtTokens.LEEWAY_SECONDS >= entry.expiresAt) {
      entries.remove(token);
      return null;
    }
    return entry.user;
  }

  /** A token just verified: remembered if it was verified before, else its hash is marked. */
  void verified(String token, UserContext user, long expiresAt) {
    int hash = token.hashCode();
    int slot = (hash ^ (hash >>> 16)) & (seenOnce.length - 1);
    if (seenOnce[slot] != hash) {
      seenOnce[slot] = hash;
      return;
    }
    entries.put(token, new Verified(user, expiresAt));
  }
}
