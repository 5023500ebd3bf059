package avalanche.stock;

import avalanche.messages.SagaCommand;
import avalanche.messages.SagaStep;
import avalanche.saga.FailureReason;
import avalanche.saga.Participant;
import avalanche.saga.StepResult;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CHECK_STOCK: the order's unit must still be reserved for it, or, for an order Redis forgot when
 * it lost its data, a unit is taken for it now (check_stock.lua; a round's calls go out as one
 * pipelined batch). The compensation puts the unit back on sale and gives the user's attempt back
 * through release.lua, which only acts on a reservation still held, so it is safe even when the
 * check never ran.
 */
public final class StockParticipant implements Participant {
  private final Redis redis;
  private final StockScripts scripts;
  private final long reservationTtlMs;

  public StockParticipant(Redis redis, StockScripts scripts, long reservationTtlMs) {
    this.redis = redis;
    this.scripts = scripts;
    this.reservationTtlMs = reservationTtlMs;
  }

  @Override
  public SagaStep step() {
    return SagaStep.CHECK_STOCK;
  }

  @Override
  public Future<Map<String, StepResult>> execute(SqlConnection tx, List<SagaCommand> commands) {
    long now = System.currentTimeMillis();
    List<Request> checks = new ArrayList<>(commands.size());
    for (SagaCommand command : commands) {
      checks.add(
          StockScripts.checkStock(
              command.getOrderId(),
              command.getUserId(),
              command.getPrice(),
              now,
              now + reservationTtlMs));
    }
    return StockScripts.CHECK_STOCK
        .runAll(redis::batch, redis::send, checks)
        .map(
            answers -> {
              Map<String, StepResult> results = new HashMap<>();
              for (int i = 0; i < commands.size(); i++) {
                SagaCommand command = commands.get(i);
                results.put(
                    command.getOrderId(),
                    switch (answers.get(i).get(0).toString()) {
                      case "RESERVED", "ADOPTED" -> StepResult.SUCCESS;
                      case "TAKEN" -> StepResult.failed(FailureReason.ALREADY_PURCHASED);
                      case "RETRY" -> throw new ProductRestoring(command.getProductId());
                      default -> StepResult.failed(FailureReason.OUT_OF_STOCK);
                    });
              }
              return results;
            });
  }

  @Override
  public Future<Void> compensate(SqlConnection tx, List<SagaCommand> commands) {
    List<Future<?>> released = new ArrayList<>(commands.size());
    for (SagaCommand command : commands) {
      released.add(scripts.release(command.getOrderId()));
    }
    return Future.join(released).mapEmpty();
  }
}
