package avalanche.order;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OrderIdsTest {
  @Test
  void idsAreTimeNodeSequenceInFixedWidthHexThenTheProduct() {
    long before = System.currentTimeMillis();
    String id = OrderIds.next(42);
    long after = System.currentTimeMillis();
    assertThat(id).matches("[0-9a-f]{26}-42");
    long millis = Long.parseLong(id.substring(0, 12), 16);
    assertThat(millis).isBetween(before, after);
    assertThat(OrderIds.productOf(id)).isEqualTo(42);
  }

  @Test
  void consecutiveIdsDifferOnlyBySequenceAndAreUnique() {
    Set<String> ids = new HashSet<>();
    String previous = OrderIds.next(Long.MAX_VALUE);
    for (int i = 0; i < 100_000; i++) {
      String next = OrderIds.next(Long.MAX_VALUE);
      assertThat(next.substring(12, 20)).as("node").isEqualTo(previous.substring(12, 20));
      long step =
          (Long.parseLong(next.substring(20, 26), 16)
                  - Long.parseLong(previous.substring(20, 26), 16))
              & 0xffffff;
      assertThat(step).isEqualTo(1);
      assertThat(ids.add(next)).isTrue();
      previous = next;
    }
    assertThat(OrderIds.productOf(previous)).isEqualTo(Long.MAX_VALUE);
  }
}
