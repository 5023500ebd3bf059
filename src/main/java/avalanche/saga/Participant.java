package avalanche.saga;

import avalanche.messages.SagaCommand;
import avalanche.messages.SagaStep;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;

/**
 * One saga step's work. Both methods run inside the PostgreSQL transaction that records the step, and
 * {@link ParticipantHandler} calls each at most once per order, so they need not guard against repeats
 * themselves (they still do where the data makes it cheap).
 */
public interface Participant {
  SagaStep step();

  /** Does the step. A business refusal is a FAILED result; a failed future means "try again later". */
  Future<StepResult> execute(SqlConnection tx, SagaCommand command);

  /** Undoes whatever the step did for this order, if anything; called even if the command never ran. */
  Future<Void> compensate(SqlConnection tx, SagaCommand command);
}
