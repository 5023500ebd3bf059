package avalanche.saga;

import avalanche.messages.SagaStep;
import java.util.List;

/**
 * The coordinator's next move for one saga, decided from its stored state alone ({@link #next}):
 * pure, so every decision can be tested without a server. The coordinator then makes the move as a
 * conditional transition.
 */
public record SagaMove(Kind kind, List<SagaStep> steps, FailureReason reason) {

  public enum Kind {
    /** Nothing to do now: replies are still coming, or the saga has ended. */
    WAIT,
    /**
     * Every step succeeded: RUNNING → CONFIRMING, then sell the unit (done for many sagas
     * together).
     */
    CONFIRM,
    /** CONFIRMING (a confirmation was interrupted): sell the unit. */
    SELL,
    /**
     * RUNNING → COMPENSATING (or straight to CANCELLED when {@code steps} is empty), undoing {@code
     * steps}.
     */
    COMPENSATE,
    /**
     * Replies are late: send the commands of {@code steps} again (participants answer a repeat with
     * its first outcome).
     */
    RESEND_COMMANDS,
    /** Compensations are late: send those of {@code steps} again. */
    RESEND_COMPENSATIONS,
    /** Every compensation answered: COMPENSATING → CANCELLED. */
    CANCEL
  }

  private static final SagaMove WAIT = new SagaMove(Kind.WAIT, List.of(), null);

  /**
   * The move for {@code saga}. {@code due}: the scanner claimed it because its due time passed (a
   * reply alone never re-sends anything); {@code nowMs} and {@code timeoutMs} decide whether a
   * RUNNING saga is given up.
   */
  public static SagaMove next(SagaSnapshot saga, boolean due, long nowMs, long timeoutMs) {
    return switch (saga.state()) {
      case RUNNING -> running(saga, due, nowMs, timeoutMs);
      case CONFIRMING -> new SagaMove(Kind.SELL, List.of(), null);
      case COMPENSATING -> {
        List<SagaStep> pending = saga.pendingCompensations();
        if (pending.isEmpty()) {
          yield new SagaMove(Kind.CANCEL, List.of(), null);
        }
        yield due ? new SagaMove(Kind.RESEND_COMPENSATIONS, pending, null) : WAIT;
      }
      case COMPLETED, CANCELLED -> WAIT;
    };
  }

  private static SagaMove running(SagaSnapshot saga, boolean due, long nowMs, long timeoutMs) {
    if (saga.allCommands(StepStatus.SUCCESS)) {
      return new SagaMove(Kind.CONFIRM, List.of(), null);
    }
    boolean waiting = saga.anyCommand(StepStatus.PENDING);
    if (saga.anyCommand(StepStatus.FAILED) && !waiting) {
      // The reason stored is the failed step's own; STEP_FAILED only if it gave none.
      return new SagaMove(
          Kind.COMPENSATE,
          saga.commandSteps(StepStatus.SUCCESS::equals),
          FailureReason.STEP_FAILED);
    }
    if (!due) {
      return WAIT;
    }
    if (nowMs >= saga.startedAtMs() + timeoutMs) {
      // Given up: a step still PENDING may yet run, so it is compensated too (its participant keeps
      // a marker
      // that turns the late command into a no-op).
      return new SagaMove(
          Kind.COMPENSATE, saga.commandSteps(s -> s != StepStatus.FAILED), FailureReason.TIMEOUT);
    }
    // Replies are late (a participant was down, lagging, or its partitions were moving).
    return new SagaMove(Kind.RESEND_COMMANDS, saga.commandSteps(StepStatus.PENDING::equals), null);
  }
}
