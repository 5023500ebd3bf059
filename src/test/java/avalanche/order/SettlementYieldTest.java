package avalanche.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SettlementYieldTest {
  /** The machine's CPU when the platform does not tell. */
  private static final double UNKNOWN = -1;

  @Test
  void holdsBackWhileWinsOutpaceTheSagaAndLetsGoWhenTheBurstPasses() {
    SettlementYield y = new SettlementYield(3_000, 0, 0.9, 30_000);
    assertFalse(y.observe(0, 0, 0, UNKNOWN), "the first look has no rate yet");
    assertFalse(
        y.observe(2_500, 1_000, 0, UNKNOWN), "2,500/s is within what the saga settles live");
    assertTrue(y.observe(6_000, 2_000, 900, UNKNOWN), "3,500/s is a burst");
    assertEquals(3_500, y.winsPerSecond());
    assertTrue(
        y.observe(7_800, 3_000, 1_900, UNKNOWN),
        "1,800/s is still above half the bound: no flapping");
    assertFalse(
        y.observe(8_000, 4_000, 2_900, UNKNOWN), "200/s: the burst is over, drain the outbox");
    assertFalse(y.holding());
  }

  @Test
  void measuredEveryQuarterSecondTheRateIsThatOfTheLastSecond() {
    SettlementYield y = new SettlementYield(3_000, 0, 0.9, 30_000);
    y.observe(0, 0, 0, UNKNOWN);
    assertTrue(y.observe(1_000, 250, 0, UNKNOWN), "4,000/s over the first quarter second: a burst");
    assertTrue(
        y.observe(1_100, 500, 250, UNKNOWN), "one slow quarter (a pause): 2,200/s over the burst");
    assertTrue(y.observe(2_100, 750, 500, UNKNOWN));
    assertTrue(y.observe(3_100, 1_000, 750, UNKNOWN));
    assertEquals(3_100, y.winsPerSecond(), "over the last second");
    assertTrue(y.observe(3_200, 1_250, 1_000, UNKNOWN), "2,200/s over the last second");
    assertTrue(y.observe(3_300, 1_500, 1_250, UNKNOWN), "2,200/s");
    assertFalse(
        y.observe(3_400, 1_750, 1_500, UNKNOWN),
        "1,300/s: below half the bound, the burst is over");
  }

  @Test
  void aPacedLoadJustUnderTheBoundIsNoBurstThoughItsQuartersVary() {
    SettlementYield y = new SettlementYield(3_000, 0, 0.9, 30_000);
    long won = 0;
    y.observe(won, 0, 0, UNKNOWN);
    for (int quarter = 1; quarter <= 40; quarter++) {
      // 2,200/s on average, one quarter in four at 3,400/s
      won += quarter % 4 == 0 ? 850 : 450;
      assertFalse(y.observe(won, quarter * 250L, 0, UNKNOWN), "quarter " + quarter);
    }
  }

  @Test
  void neverHoldsAnOrderLongerThanTheLagBound() {
    SettlementYield y = new SettlementYield(1_000, 0, 0.9, 5_000);
    y.observe(0, 0, 0, UNKNOWN);
    assertTrue(y.observe(10_000, 1_000, 1_000, UNKNOWN));
    assertFalse(
        y.observe(20_000, 2_000, 5_001, UNKNOWN),
        "the oldest order waited past the bound: relay it mid-burst");
    assertTrue(y.observe(30_000, 3_000, 100, UNKNOWN), "once the oldest went out, hold back again");
  }

  @Test
  void aShrinkingTotalIsNoBurstAndZeroMeansNever() {
    SettlementYield y = new SettlementYield(1_000, 0, 0.9, 30_000);
    y.observe(50_000, 0, 0, UNKNOWN);
    assertFalse(
        y.observe(10, 1_000, 0, UNKNOWN), "Redis lost its counters: no negative rate, no burst");
    assertEquals(0, y.winsPerSecond());
    SettlementYield never = new SettlementYield(0, 0, 0.9, 30_000);
    never.observe(0, 0, 0, UNKNOWN);
    assertFalse(never.observe(1_000_000, 1_000, 0, UNKNOWN));
  }

  @Test
  void twoLooksInTheSameMillisecondKeepTheLastRate() {
    SettlementYield y = new SettlementYield(1_000, 0, 0.9, 30_000);
    y.observe(0, 0, 0, UNKNOWN);
    assertTrue(y.observe(5_000, 1_000, 0, UNKNOWN));
    assertTrue(y.observe(5_000, 1_000, 0, UNKNOWN));
  }

  /** A yield that holds only for busy bursts: 1,000 orders/s while the CPU is 90 % used. */
  private static SettlementYield busyOnly() {
    return new SettlementYield(0, 1_000, 0.9, 30_000);
  }

  @Test
  void aBurstHeldToTheSagasPaceOnBusyCoresIsHeldBackAndTheHoldLastsWhileThePurchasesKeepThem() {
    SettlementYield y = busyOnly();
    for (long at = 0; at <= 1_000; at += 250) {
      assertFalse(y.observe(0, at, 0, 0.2), "a quiet second");
    }
    assertFalse(y.observe(500, 1_250, 0, 0.99), "busy cores, but 500 orders/s over the second");
    assertFalse(y.observe(1_000, 1_500, 0, 0.5), "1,000/s with idle cores: the saga keeps pace");
    assertTrue(y.observe(1_500, 1_750, 0, 0.95), "1,500/s on busy cores: a busy burst");
    assertEquals(SettlementYield.Burst.BUSY, y.burst());
    assertTrue(y.observe(4_000, 2_000, 250, 0.99), "freed cores: the purchases speed up");
    assertTrue(y.observe(6_500, 2_250, 500, 0.99));
    assertFalse(y.observe(6_510, 2_500, 750, 0.3), "the burst ended at once: drain the outbox");
    assertEquals(SettlementYield.Burst.NONE, y.burst());
    assertTrue(
        y.observe(9_010, 2_750, 0, 0.99), "a burst that ended by itself does not stop the next");
  }

  @Test
  void aBusyHoldThatQuietsTheCoresLetsGoAndIsNotTriedAgainForAMinute() {
    PacedLoad load = new PacedLoad(busyOnly());
    for (int quarter = 1; quarter <= 4; quarter++) {
      load.quarter(0.97);
    }
    assertTrue(load.yield.holding(), "2,200/s, the saga behind on busy cores: a busy hold");
    assertFalse(
        load.quarter(0.35),
        "orders come in as fast and the cores went quiet: the saga kept them busy, let go");
    long retryAt = load.at + SettlementYield.BUSY_RETRY_MS;
    while (load.at + 250 < retryAt) {
      assertFalse(load.quarter(0.97), "no busy hold for a minute (" + load.at + " ms)");
    }
    assertTrue(load.quarter(0.97), "a minute on, it may try again");
  }

  @Test
  void aBusyHoldThatDoesNotSpeedThePurchasesUpLetsGoAfterTwoSeconds() {
    PacedLoad load = new PacedLoad(busyOnly());
    long heldAt = 250;
    while (load.at + 250 < heldAt + SettlementYield.BUSY_PROOF_MS) {
      assertTrue(load.quarter(0.98), "2,200/s on busy cores (" + (load.at + 250) + " ms)");
    }
    assertFalse(
        load.quarter(0.98),
        "still 2,200/s two seconds into the hold: something else keeps the cores, let go");
    assertFalse(load.quarter(0.98), "and no busy hold for a while");
  }

  /** 2,200 orders won a second, looked at every quarter second from a quiet start. */
  private static final class PacedLoad {
    final SettlementYield yield;
    long won;
    long at;

    PacedLoad(SettlementYield yield) {
      this.yield = yield;
      yield.observe(0, 0, 0, 0.2);
    }

    /** The next quarter's look, with the machine's CPU at {@code cpu}. */
    boolean quarter(double cpu) {
      won += 550;
      at += 250;
      return yield.observe(won, at, 0, cpu);
    }
  }

  @Test
  void aBusyBurstIsHeldNoLongerThanTheLagBoundAndAnUnknownCpuNeverHolds() {
    SettlementYield y = new SettlementYield(0, 1_000, 0.9, 5_000);
    y.observe(0, 0, 0, 0.2);
    assertTrue(y.observe(2_000, 1_000, 1_000, 0.95));
    assertFalse(y.observe(6_000, 2_000, 5_001, 0.95), "past the lag bound: relay it");
    assertEquals(SettlementYield.Burst.BUSY, y.burst(), "the burst goes on, faster");
    assertTrue(y.observe(10_000, 3_000, 100, 0.95), "once the oldest went out, hold back again");

    SettlementYield unknown = busyOnly();
    unknown.observe(0, 0, 0, UNKNOWN);
    assertFalse(unknown.observe(5_000, 1_000, 0, UNKNOWN));
  }

  @Test
  void aFastBurstNeedsNoBusyCores() {
    SettlementYield y = new SettlementYield(3_000, 1_000, 0.9, 30_000);
    y.observe(0, 0, 0, 0.1);
    assertTrue(y.observe(5_000, 1_000, 0, 0.1));
    assertEquals(SettlementYield.Burst.FAST, y.burst());
  }
}
