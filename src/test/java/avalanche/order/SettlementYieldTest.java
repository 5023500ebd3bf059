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
  void measuredEveryQuarterSecondOneSlowQuarterDoesNotEndTheBurst() {
    SettlementYield y = new SettlementYield(3_000, 30_000);
    y.observe(0, 0, 0);
    assertTrue(y.observe(1_000, 250, 0), "4,000/s over the first quarter second: a burst");
    assertTrue(y.observe(1_100, 500, 250), "400/s for one quarter (a pause): still holding");
    assertTrue(y.observe(2_100, 750, 500), "4,000/s again: the calm starts over");
    assertTrue(y.observe(2_200, 1_000, 750));
    assertTrue(y.observe(2_300, 1_250, 1_000));
    assertTrue(y.observe(2_400, 1_500, 1_250));
    assertFalse(
        y.observe(2_500, 1_750, 1_500), "a full second below half the bound: the burst is over");
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
