package avalanche.saga;

import static avalanche.messages.SagaStep.APPLY_POINTS;
import static avalanche.messages.SagaStep.CHECK_STOCK;
import static avalanche.messages.SagaStep.PREPARE_SHIPPING;
import static avalanche.saga.SagaMove.Kind.CANCEL;
import static avalanche.saga.SagaMove.Kind.COMPENSATE;
import static avalanche.saga.SagaMove.Kind.CONFIRM;
import static avalanche.saga.SagaMove.Kind.RESEND_COMMANDS;
import static avalanche.saga.SagaMove.Kind.RESEND_COMPENSATIONS;
import static avalanche.saga.SagaMove.Kind.SELL;
import static avalanche.saga.SagaMove.Kind.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.messages.SagaStep;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The coordinator's decisions, from a saga's stored state alone: no server. */
class SagaMoveTest {
  private static final long STARTED = 1_000_000;
  private static final long TIMEOUT_MS = 300_000;
  private static final long EARLY = STARTED + 10_000;
  private static final long LATE = STARTED + TIMEOUT_MS;

  /**
   * A saga whose steps are CHECK_STOCK, APPLY_POINTS, PREPARE_SHIPPING in that order; null: not in
   * the map.
   */
  private static SagaSnapshot saga(
      SagaState state,
      StepStatus stock,
      StepStatus points,
      StepStatus shipping,
      JsonObject compensations) {
    JsonObject commands = new JsonObject();
    put(commands, CHECK_STOCK, stock);
    put(commands, APPLY_POINTS, points);
    put(commands, PREPARE_SHIPPING, shipping);
    return new SagaSnapshot("o-1", 7, 3, 100, state, commands, compensations, null, null, STARTED);
  }

  private static SagaSnapshot running(StepStatus stock, StepStatus points, StepStatus shipping) {
    return saga(SagaState.RUNNING, stock, points, shipping, new JsonObject());
  }

  private static void put(JsonObject statuses, SagaStep step, StepStatus status) {
    if (status != null) {
      statuses.put(step.name(), status.name());
    }
  }

  private static final StepStatus P = StepStatus.PENDING;
  private static final StepStatus S = StepStatus.SUCCESS;
  private static final StepStatus F = StepStatus.FAILED;

  @Test
  void everyStepSucceededSoTheUnitIsConfirmed() {
    assertThat(SagaMove.next(running(S, S, S), false, EARLY, TIMEOUT_MS).kind()).isEqualTo(CONFIRM);
    assertThat(SagaMove.next(running(S, S, S), true, LATE, TIMEOUT_MS).kind())
        .as("even when overdue")
        .isEqualTo(CONFIRM);
  }

  @Test
  void aReplyStillMissingMeansWaitUntilTheSagaIsDue() {
    assertThat(SagaMove.next(running(S, P, S), false, EARLY, TIMEOUT_MS).kind()).isEqualTo(WAIT);
    assertThat(SagaMove.next(running(F, P, S), false, EARLY, TIMEOUT_MS).kind())
        .as("a failure waits for the other replies, so every success is known before compensating")
        .isEqualTo(WAIT);
  }

  @Test
  void aFailedStepWithEveryReplyInCompensatesTheStepsThatSucceeded() {
    SagaMove move = SagaMove.next(running(S, F, S), false, EARLY, TIMEOUT_MS);
    assertThat(move.kind()).isEqualTo(COMPENSATE);
    assertThat(move.steps()).containsExactly(CHECK_STOCK, PREPARE_SHIPPING);
    assertThat(move.reason()).isEqualTo(FailureReason.STEP_FAILED);
  }

  @Test
  void everyStepFailedCancelsWithNothingToUndo() {
    SagaMove move = SagaMove.next(running(F, F, F), false, EARLY, TIMEOUT_MS);
    assertThat(move.kind()).isEqualTo(COMPENSATE);
    assertThat(move.steps()).isEmpty();
  }

  @Test
  void aDueSagaWithinItsTimeoutGetsItsMissingCommandsAgain() {
    SagaMove move = SagaMove.next(running(S, P, P), true, LATE - 1, TIMEOUT_MS);
    assertThat(move.kind()).isEqualTo(RESEND_COMMANDS);
    assertThat(move.steps()).containsExactly(APPLY_POINTS, PREPARE_SHIPPING);
  }

  @Test
  void aStepNeverRecordedCountsAsPending() {
    SagaMove move = SagaMove.next(running(S, null, S), true, EARLY, TIMEOUT_MS);
    assertThat(move.kind()).isEqualTo(RESEND_COMMANDS);
    assertThat(move.steps()).containsExactly(APPLY_POINTS);
  }

  @Test
  void aDueSagaPastItsTimeoutIsGivenUpAndEveryStepNotFailedIsUndone() {
    SagaMove move = SagaMove.next(running(S, P, F), true, LATE, TIMEOUT_MS);
    assertThat(move.kind()).isEqualTo(COMPENSATE);
    assertThat(move.reason()).isEqualTo(FailureReason.TIMEOUT);
    assertThat(move.steps())
        .as("the silent step too: its late command must become a no-op")
        .containsExactly(CHECK_STOCK, APPLY_POINTS);
  }

  @Test
  void aSagaPastItsTimeoutIsNotGivenUpByAReplyOnlyByTheScanner() {
    assertThat(SagaMove.next(running(S, P, S), false, LATE + 60_000, TIMEOUT_MS).kind())
        .isEqualTo(WAIT);
  }

  @Test
  void aConfirmationInterruptedIsMadeAgain() {
    SagaSnapshot confirming = saga(SagaState.CONFIRMING, S, S, S, new JsonObject());
    assertThat(SagaMove.next(confirming, false, EARLY, TIMEOUT_MS).kind()).isEqualTo(SELL);
    assertThat(SagaMove.next(confirming, true, LATE, TIMEOUT_MS).kind()).isEqualTo(SELL);
  }

  @Test
  void compensationsStillMissingAreSentAgainOnlyWhenDue() {
    JsonObject compensations =
        new JsonObject().put("CHECK_STOCK", "SUCCESS").put("PREPARE_SHIPPING", "PENDING");
    SagaSnapshot compensating = saga(SagaState.COMPENSATING, S, F, S, compensations);
    assertThat(SagaMove.next(compensating, false, EARLY, TIMEOUT_MS).kind()).isEqualTo(WAIT);
    SagaMove due = SagaMove.next(compensating, true, EARLY, TIMEOUT_MS);
    assertThat(due.kind()).isEqualTo(RESEND_COMPENSATIONS);
    assertThat(due.steps()).containsExactly(PREPARE_SHIPPING);
  }

  @Test
  void everyCompensationAnsweredCancels() {
    JsonObject compensations =
        new JsonObject().put("CHECK_STOCK", "SUCCESS").put("PREPARE_SHIPPING", "SUCCESS");
    SagaSnapshot compensating = saga(SagaState.COMPENSATING, S, F, S, compensations);
    assertThat(SagaMove.next(compensating, false, EARLY, TIMEOUT_MS).kind()).isEqualTo(CANCEL);
  }

  @Test
  void anEndedSagaStaysAsItIs() {
    for (SagaState ended : List.of(SagaState.COMPLETED, SagaState.CANCELLED)) {
      assertThat(
              SagaMove.next(saga(ended, S, S, S, new JsonObject()), true, LATE, TIMEOUT_MS).kind())
          .isEqualTo(WAIT);
    }
  }
}
