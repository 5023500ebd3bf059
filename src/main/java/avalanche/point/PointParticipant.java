package avalanche.point;

import avalanche.messages.SagaCommand;
import avalanche.messages.SagaStep;
import avalanche.saga.FailureReason;
import avalanche.saga.Participant;
import avalanche.saga.StepResult;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** APPLY_POINTS: pays the order's price from the user's balance; the compensation refunds it. */
public final class PointParticipant implements Participant {
  @Override
  public SagaStep step() {
    return SagaStep.APPLY_POINTS;
  }

  /**
   * One statement pays the first order of every user; a user's further orders of the same round
   * (rare) are paid after it, one at a time in their order, so each sees the balance the previous
   * one left.
   */
  @Override
  public Future<Map<String, StepResult>> execute(SqlConnection tx, List<SagaCommand> commands) {
    List<SagaCommand> first = new ArrayList<>();
    List<SagaCommand> later = new ArrayList<>();
    Set<Long> users = new HashSet<>();
    for (SagaCommand command : commands) {
      (users.add(command.getUserId()) ? first : later).add(command);
    }
    Map<String, StepResult> results = new HashMap<>();
    Future<Void> done =
        PointLedger.deductAll(tx, first)
            .map(
                outcomes -> {
                  outcomes.forEach(
                      (orderId, reason) ->
                          results.put(
                              orderId,
                              reason == null ? StepResult.SUCCESS : StepResult.failed(reason)));
                  return null;
                });
    for (SagaCommand command : later) {
      done =
          done.compose(
              v ->
                  PointLedger.deductAll(tx, List.of(command))
                      .map(
                          outcomes -> {
                            FailureReason reason = outcomes.get(command.getOrderId());
                            results.put(
                                command.getOrderId(),
                                reason == null ? StepResult.SUCCESS : StepResult.failed(reason));
                            return null;
                          }));
    }
    return done.map(results);
  }

  @Override
  public Future<Void> compensate(SqlConnection tx, List<SagaCommand> commands) {
    return PointLedger.refundAll(
        tx, commands.stream().map(SagaCommand::getOrderId).toArray(String[]::new));
  }
}
