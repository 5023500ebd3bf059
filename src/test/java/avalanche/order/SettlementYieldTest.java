package avalanche.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SettlementYieldTest {
  @Test
  void holdsBackWhileWinsOutpaceTheSagaAndLetsGoWhenTheBurstPasses() {
    SettlementYield y = new SettlementYield(3_000, 30_000);
    assertFalse(y.observe(0, 0, 0), "the first look has no rate yet");
    assertFalse(y.observe(2_500, 1_000, 0), "2,500/s is within what the saga settles live");
    assertTrue(y.observe(6_000, 2_000, 900), "3,500/s is a burst");
    assertEquals(3_500, y.winsPerSecond());
    assertTrue(
        y.observe(7_800, 3_000, 1_900), "1,800/s is still above half the bound: no flapping");
    assertFalse(y.observe(8_000, 4_000, 2_900), "200/s: the burst is over, drain the outbox");
    assertFalse(y.holding());
  }

  @Test
  void measuredEveryQuarterSecondTheRateIsThatOfTheLastSecond() {
    SettlementYield y = new SettlementYield(3_000, 30_000);
    y.observe(0, 0, 0);
    assertTrue(y.observe(1_000, 250, 0), "4,000/s over the first quarter second: a burst");
    assertTrue(y.observe(1_100, 500, 250), "one slow quarter (a pause): 2,200/s over the burst");
    assertTrue(y.observe(2_100, 750, 500));
    assertTrue(y.observe(3_100, 1_000, 750));
    assertEquals(3_100, y.winsPerSecond(), "over the last second");
    assertTrue(y.observe(3_200, 1_250, 1_000), "2,200/s over the last second");
    assertTrue(y.observe(3_300, 1_500, 1_250), "2,200/s");
    assertFalse(y.observe(3_400, 1_750, 1_500), "1,300/s: below half the bound, the burst is over");
  }

  @Test
  void aPacedLoadJustUnderTheBoundIsNoBurstThoughItsQuartersVary() {
    SettlementYield y = new SettlementYield(3_000, 30_000);
    long won = 0;
    y.observe(won, 0, 0);
    for (int quarter = 1; quarter <= 40; quarter++) {
      // 2,200/s on average, one quarter in four at 3,400/s
      won += quarter % 4 == 0 ? 850 : 450;
      assertFalse(y.observe(won, quarter * 250L, 0), "quarter " + quarter);
    }
  }

  @Test
  void neverHoldsAnOrderLongerThanTheLagBound() {
    SettlementYield y = new SettlementYield(1_000, 5_000);
    y.observe(0, 0, 0);
    assertTrue(y.observe(10_000, 1_000, 1_000));
    assertFalse(
        y.observe(20_000, 2_000, 5_001),
        "the oldest order waited past the bound: relay it mid-burst");
    assertTrue(y.observe(30_000, 3_000, 100), "once the oldest went out, hold back again");
  }

  @Test
  void aShrinkingTotalIsNoBurstAndZeroMeansNever() {
    SettlementYield y = new SettlementYield(1_000, 30_000);
    y.observe(50_000, 0, 0);
    assertFalse(y.observe(10, 1_000, 0), "Redis lost its counters: no negative rate, no burst");
    assertEquals(0, y.winsPerSecond());
    SettlementYield never = new SettlementYield(0, 30_000);
    never.observe(0, 0, 0);
    assertFalse(never.observe(1_000_000, 1_000, 0));
  }

  @Test
  void twoLooksInTheSameMillisecondKeepTheLastRate() {
    SettlementYield y = new SettlementYield(1_000, 30_000);
    y.observe(0, 0, 0);
    assertTrue(y.observe(5_000, 1_000, 0));
    assertTrue(y.observe(5_000, 1_000, 0));
  }
}
