package avalanche.live;

/** The outcomes the live feed counts per second (the contract's {@code outcomesPerSecond} keys). */
enum Outcome {
  RESERVED,
  LOST,
  SOLD_OUT,
  ALREADY_PURCHASED,
  REJECTED
}
