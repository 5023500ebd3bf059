package avalanche.point;

import avalanche.messages.SagaCommand;
import avalanche.messages.SagaStep;
import avalanche.saga.Participant;
import avalanche.saga.StepResult;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;

/** APPLY_POINTS: pays the order's price from the user's balance; the compensation refunds it. */
public final class PointParticipant implements Participant {
  @Override
  public SagaStep step() {
    return SagaStep.APPLY_POINTS;
  }

  @Override
  public Future<StepResult> execute(SqlConnection tx, SagaCommand command) {
    return PointLedger.deduct(tx, command.getUserId(), command.getOrderId(), command.getPrice()).compose(paid -> paid
        ? Future.succeededFuture(StepResult.SUCCESS)
        : PointLedger.userExists(tx, command.getUserId()).map(exists ->
            StepResult.failed(exists ? PointLedger.INSUFFICIENT_POINTS : PointLedger.USER_NOT_FOUND)));
  }

  @Override
  public Future<Void> compensate(SqlConnection tx, SagaCommand command) {
    return PointLedger.refund(tx, command.getOrderId());
  }
}
