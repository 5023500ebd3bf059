package avalanche.saga;

import avalanche.messages.StepOutcome;

/** What a participant answers for a step: SUCCESS, or FAILED with a {@link FailureReason}. */
public record StepResult(StepOutcome outcome, String reason) {
  public static final StepResult SUCCESS = new StepResult(StepOutcome.SUCCESS, null);

  public static StepResult failed(FailureReason reason) {
    return new StepResult(StepOutcome.FAILED, reason.name());
  }
}
