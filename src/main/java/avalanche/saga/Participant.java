package avalanche.saga;

import avalanche.messages.SagaCommand;
import avalanche.messages.SagaStep;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import java.util.List;
import java.util.Map;

/**
 * One saga step's work, set-based: a call covers the commands (or compensations) of many orders, at
 * most one per order. Both methods run inside the PostgreSQL transaction that records the steps,
 * and {@link ParticipantHandler} calls each at most once per order, so they need not guard against
 * repeats themselves (they still do where the data makes it cheap).
 */
public interface Participant {
  SagaStep step();

  /**
   * Does the step for each command: order id → its result. A business refusal is a FAILED result; a
   * failed future means "try again later" (for all of them).
   */
  Future<Map<String, StepResult>> execute(SqlConnection tx, List<SagaCommand> commands);

  /**
   * Undoes whatever the step did for these orders, if anything; called even if a command never ran.
   */
  Future<Void> compensate(SqlConnection tx, List<SagaCommand> commands);
}
