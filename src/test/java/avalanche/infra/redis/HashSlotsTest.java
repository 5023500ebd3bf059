package avalanche.infra.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Slots as redis-server 7.0 computes them ({@code CLUSTER KEYSLOT} on a cluster node gave each
 * expected value).
 */
class HashSlotsTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = ' ',
      value = {
        "{p:1} 5156",
        "{p:1}:buyers 5156",
        "{p:2} 9287",
        "{p:12345} 14723",
        "products 10285",
        "session.revoked 13478",
        "sessions.epoch 239",
        "{u:42}:sessions 8980",
        "foo 12182",
        "{user1000}.following 3443",
        "a{}b 13694",
        "{}{p:1} 11367",
        "x{p:7}:outbox 13538",
        "é{ü} 9552"
      })
  void matchesRedis(String key, int slot) {
    assertThat(HashSlots.of(key)).isEqualTo(slot);
  }
}
