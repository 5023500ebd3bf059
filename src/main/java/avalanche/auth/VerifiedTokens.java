package avalanche.auth;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The access tokens one ingress instance verified lately, with their caller: a shopper retrying
 * during a drop sends the same token many times, and its signature and claims need checking only
 * once. An entry serves until the token expires (with the verifier's leeway); sessions are still
 * checked on every request. Confined to one event loop: no locks.
 */
final class VerifiedTokens {
  private record Verified(UserContext user, long expiresAt) {}

  private final Map<String, Verified> entries;

  VerifiedTokens(int capacity) {
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

  void put(String token, UserContext user, long expiresAt) {
    entries.put(token, new Verified(user, expiresAt));
  }
}
