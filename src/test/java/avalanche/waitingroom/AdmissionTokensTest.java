package avalanche.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import avalanche.infra.http.ApiException;
import org.junit.jupiter.api.Test;

/** The admission token alone: who, which product, until when, and that nobody else can make one. */
class AdmissionTokensTest {
  private static final long NOW = 1_800_000_000_000L;
  private final AdmissionTokens tokens = new AdmissionTokens("secret-of-the-jwt-tokens");

  @Test
  void aTokenNamesItsTicketForItsUserAndProductUntilItExpires() {
    String token = tokens.issue(7, 42, "913", NOW + 1);
    assertThat(tokens.check(token, 42, 7, NOW)).isEqualTo("913");
    assertThat(tokens.check(null, 42, 7, NOW)).isNull();
    refused(() -> tokens.check(token, 42, 7, NOW + 1));
    refused(() -> tokens.check(token, 43, 7, NOW));
    refused(() -> tokens.check(token, 42, 8, NOW));
  }

  @Test
  void forgedOrMalformedTokensAreRefused() {
    String token = tokens.issue(7, 42, "913", NOW + 120_000);
    String signature = token.substring(token.lastIndexOf('.') + 1);
    refused(() -> tokens.check("7.42.914." + (NOW + 120_000) + "." + signature, 42, 7, NOW));
    refused(() -> tokens.check("7.42.913." + (NOW + 999_000) + "." + signature, 42, 7, NOW));
    refused(
        () ->
            tokens.check(
                new AdmissionTokens("another-secret").issue(7, 42, "913", NOW + 120_000),
                42,
                7,
                NOW));
    for (String bad :
        new String[] {
          "",
          ".",
          "7.42.913",
          "7.42.913.x.sig",
          "7.42.913." + NOW + ".sig.more",
          "-7.42.913." + (NOW + 1) + "." + signature,
          "x".repeat(500)
        }) {
      refused(() -> tokens.check(bad, 42, 7, NOW));
    }
  }

  @Test
  void waitingTimeIsThePositionOverTheRateRoundedUp() {
    assertThat(TicketView.waiting("1", 1, 1, 1L).estimatedWaitSeconds()).isEqualTo(1);
    assertThat(TicketView.waiting("1", 250, 100, 250L).estimatedWaitSeconds()).isEqualTo(3);
    assertThat(TicketView.waiting("1", 100_000, 100_000, null).estimatedWaitSeconds()).isEqualTo(1);
  }

  private static void refused(Runnable check) {
    assertThatThrownBy(check::run)
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).isEqualTo(403);
              assertThat(e.code()).isEqualTo("NOT_ADMITTED");
            });
  }
}
