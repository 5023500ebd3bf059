package avalanche.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The per-instance cache of verified tokens: serves until expiry (with the verifier's leeway),
 * bounded.
 */
class VerifiedTokensTest {
  private static final UserContext ALICE = new UserContext(1, List.of(), "s1", "c1", 0);

  @Test
  void servesAVerifiedTokenUntilItExpires() {
    VerifiedTokens cache = new VerifiedTokens(10);
    cache.put("t", ALICE, 1_000);
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
    cache.put("a", ALICE, 1_000);
    cache.put("b", ALICE, 1_000);
    assertThat(cache.get("a", 0)).isNotNull();
    cache.put("c", ALICE, 1_000);
    assertThat(cache.get("b", 0)).isNull();
    assertThat(cache.get("a", 0)).isNotNull();
    assertThat(cache.get("c", 0)).isNotNull();
  }
}
