package avalanche.stock;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.stock.Reservation.Outcome;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The sold-out cache's bookkeeping alone: when an entry may be made, when it goes stale, what is
 * counted.
 */
class SoldOutCacheTest {
  private static final long P = 7;
  private static final long NOW = 1_000_000;

  private static SoldOutCache liveCache() {
    SoldOutCache cache = new SoldOutCache();
    cache.live(true);
    return cache;
  }

  private static final String TAG = StockKeys.tag(P);
  private static final String OTHER_BUCKET = StockKeys.tag(P, 7);

  /** The returns of the product's only bucket. */
  private static Map<String, Long> r(long returns) {
    return Map.of(TAG, returns);
  }

  @Test
  void aReturnToAnyBucketOfASplitProductEndsTheEntry() {
    SoldOutCache cache = liveCache();
    Map<String, Long> both = Map.of(TAG, 2L, OTHER_BUCKET, 5L);
    assertThat(cache.shouldArm(P, both, NOW)).isTrue();
    cache.arm(P, both, List.of(), NOW);
    cache.returned(TAG, 2);
    cache.returned(OTHER_BUCKET, 5);
    assertThat(cache.knows(P, NOW)).as("returns the answer already counted").isTrue();
    cache.returned(OTHER_BUCKET, 6);
    assertThat(cache.knows(P, NOW)).as("a unit came back to the other bucket").isFalse();
    assertThat(cache.shouldArm(P, both, NOW))
        .as("an answer older than that return makes no entry")
        .isFalse();
  }

  @Test
  void answersSoldOutAndAlreadyPurchasedOnlyOnceArmed() {
    SoldOutCache cache = liveCache();
    assertThat(cache.answer(P, 1, NOW)).isNull();
    assertThat(cache.shouldArm(P, r(0), NOW)).isTrue();
    assertThat(cache.shouldArm(P, r(0), NOW)).as("one reader of the buyers at a time").isFalse();
    cache.arm(P, r(0), List.of("1", "2"), NOW);
    assertThat(cache.answer(P, 1, NOW)).isEqualTo(Outcome.ALREADY_PURCHASED);
    assertThat(cache.answer(P, 3, NOW)).isEqualTo(Outcome.SOLD_OUT);
    assertThat(cache.answer(P, 4, NOW)).isEqualTo(Outcome.SOLD_OUT);
    assertThat(cache.answer(P + 1, 4, NOW)).as("another product").isNull();
    assertThat(cache.drainCounts()).containsExactly(new SoldOutCache.Counts(P, 2, 1));
    assertThat(cache.drainCounts()).as("drained once").isEmpty();
  }

  @Test
  void aReturnAfterTheSoldOutAnswerEndsTheEntry() {
    SoldOutCache cache = liveCache();
    cache.shouldArm(P, r(3), NOW);
    cache.arm(P, r(3), List.of(), NOW);
    cache.returned(TAG, 3);
    assertThat(cache.knows(P, NOW)).as("return 3 happened before the answer").isTrue();
    cache.returned(TAG, 4);
    assertThat(cache.knows(P, NOW)).isFalse();
    assertThat(cache.answer(P, 1, NOW)).isNull();
  }

  @Test
  void anAnswerOlderThanASeenReturnMakesNoEntry() {
    SoldOutCache cache = liveCache();
    cache.returned(TAG, 5);
    assertThat(cache.shouldArm(P, r(4), NOW)).isFalse();
    assertThat(cache.shouldArm(P, r(5), NOW)).isTrue();
    cache.returned(TAG, 6);
    cache.arm(P, r(5), List.of(), NOW);
    assertThat(cache.knows(P, NOW)).as("return 6 came while the buyers were read").isFalse();
  }

  @Test
  void nothingIsKnownWhileTheFeedIsDownNorAfterItComesBack() {
    SoldOutCache cache = liveCache();
    cache.shouldArm(P, r(0), NOW);
    cache.arm(P, r(0), List.of(), NOW);
    cache.live(false);
    assertThat(cache.answer(P, 1, NOW)).isNull();
    assertThat(cache.shouldArm(P, r(0), NOW)).isFalse();
    cache.live(true);
    assertThat(cache.knows(P, NOW)).as("returns may have been missed meanwhile").isFalse();
  }

  @Test
  void entriesExpire() {
    SoldOutCache cache = liveCache();
    cache.shouldArm(P, r(0), NOW);
    cache.arm(P, r(0), List.of(), NOW);
    assertThat(cache.knows(P, NOW + SoldOutCache.ENTRY_TTL_MS)).isTrue();
    assertThat(cache.answer(P, 1, NOW + SoldOutCache.ENTRY_TTL_MS + 1)).isNull();
    assertThat(cache.shouldArm(P, r(0), NOW + SoldOutCache.ENTRY_TTL_MS + 1)).isTrue();
  }

  @Test
  void countsThatCouldNotBeWrittenAreKept() {
    SoldOutCache cache = liveCache();
    cache.shouldArm(P, r(0), NOW);
    cache.arm(P, r(0), List.of("9"), NOW);
    cache.answer(P, 1, NOW);
    cache.answer(P, 9, NOW);
    cache.restore(cache.drainCounts());
    cache.answer(P, 2, NOW);
    assertThat(cache.drainCounts()).containsExactly(new SoldOutCache.Counts(P, 2, 1));
  }
}
