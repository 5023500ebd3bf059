package avalanche.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RollingP99Test {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  @Test
  void theP99OfTheWindowAndNothingOlder() {
    RollingP99 p99 = new RollingP99(5_000);
    assertThat(p99.p99Ms(0)).as("nothing recorded").isZero();
    for (int i = 0; i < 980; i++) {
      p99.record(2 * MS);
    }
    for (int i = 0; i < 20; i++) {
      p99.record(40 * MS);
    }
    assertThat(p99.p99Ms(1_000)).as("2 % of the answers took 40 ms").isCloseTo(40, within(0.5));
    for (int i = 0; i < 100_000; i++) {
      p99.record(3 * MS);
    }
    assertThat(p99.p99Ms(3_000))
        .as("still within the window, drowned by later quick answers")
        .isCloseTo(3, within(0.05));
    p99.record(7 * MS);
    assertThat(p99.p99Ms(6_500))
        .as("the first second's answers left the window; the latest interval holds one 7 ms")
        .isCloseTo(3, within(0.05));
    assertThat(p99.p99Ms(9_000)).as("only the 7 ms answer is left").isCloseTo(7, within(0.1));
    assertThat(p99.p99Ms(20_000)).as("everything aged out").isZero();
  }

  @Test
  void outOfRangeDurationsAreKeptAtTheBounds() {
    RollingP99 p99 = new RollingP99(5_000);
    p99.record(-5);
    p99.record(TimeUnit.HOURS.toNanos(2));
    assertThat(p99.p99Ms(1)).isCloseTo(60_000, within(600.0));
  }
}
