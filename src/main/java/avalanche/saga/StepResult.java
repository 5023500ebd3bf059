package avalanche.saga;

import avalanche.messages.StepOutcome;

/** What a participant answers for a step: SUCCESS, or FAILED with a reason such as INSUFFICIENT_POINTS. */
public record StepResult(StepOutcome outcome, String reason) {
  public static final StepResult SUCCESS = new StepResult(StepOutcome.SUCCESS, null);

  public static StepResult failed(String reason) {
    return new StepResult(StepOutcome.FAILED, reason);
  }
}
