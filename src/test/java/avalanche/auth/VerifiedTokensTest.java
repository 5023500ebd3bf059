package avalanche.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The per-instance cache of verified tokens: serves until expiry (with the verifier's leeway),
 * bounded, and only tokens verified twice.
 */
class VerifiedTokensTest {
  private static final UserContext ALICE = new UserContext(1, List.of(), "s1", "c1", 0);

  @Test
  void servesAVerifiedTokenUntilItExpires() {
    VerifiedTokens cache = new VerifiedTokens(10);
    twice(cache, "t");
    assertThat(cache.get("t", 900)).isEqualTo(ALICE);
    assertThat(cache.get("t", 1_000 + JwtTokens.LEEWAY_SECONDS - 1)).isEqualTo(ALICE);
    assertThat(cache.get("t", 1_000 + JwtTokens.LEEWAY_SECONDS)).isNull();
    // once expired it is gone, so the token is verified (and refused) again
    assertThat(cache.get("t", 900)).isNull();
    assertThat(cache.get("other", 900)).isNull();
  }

  @Test
  void keepsOnlyTheMostRecentlyUsed() {
    VerifiedTokens cache = new VerifiedTokens(2);
    twice(cache, "a");
    twice(cache, "b");
    assertThat(cache.get("a", 0)).isNotNull();
    twice(cache, "c");
    assertThat(cache.get("b", 0)).isNull();
    assertThat(cache.get("a", 0)).isNotNull();
    assertThat(cache.get("c", 0)).isNotNull();
  }

  @Test
  void aTokenVerifiedOnceIsNotRememberedAndTheSecondTimeItIs() {
    VerifiedTokens cache = new VerifiedTokens(10);
    for (int i = 0; i < 1_000; i++) {
      cache.verified("once-" + i, ALICE, 1_000);
    }
    for (int i = 0; i < 1_000; i++) {
      assertThat(cache.get("once-" + i, 0)).as("token %d, verified once", i).isNull();
    }
    cache.verified("retried", ALICE, 1_000);
    assertThat(cache.get("retried", 0)).isNull();
    cache.verified("retried", ALICE, 1_000);
    assertThat(cache.get("retried", 0)).isEqualTo(ALICE);
  }

  /** A token verified twice, as a shopper's retry is. */
  private static void twice(VerifiedTokens cache, String token) {
    cache.verified(token, ALICE, 1_000);
    cache.verified(token, ALICE, 1_000);
  }
}
