package avalanche.stock;

import avalanche.messages.SagaCommand;
import avalanche.messages.SagaStep;
import avalanche.saga.Participant;
import avalanche.saga.StepResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.SqlConnection;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CHECK_STOCK: the order's unit must still be reserved for it (a single HGET, atomic on its own; a round's
 * HGETs go out as one pipelined batch). The compensation puts the unit back on sale and gives the user's
 * attempt back through release.lua, which only acts on a reservation still held, so it is safe even when
 * the check never ran.
 */
public final class StockParticipant implements Participant {
  public static final String OUT_OF_STOCK = "OUT_OF_STOCK";
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setSendTimeout(10_000);

  private final Vertx vertx;
  private final Redis redis;

  public StockParticipant(Vertx vertx, Redis redis) {
    this.vertx = vertx;
    this.redis = redis;
  }

  @Override
  public SagaStep step() {
    return SagaStep.CHECK_STOCK;
  }

  @Override
  public Future<Map<String, StepResult>> execute(SqlConnection tx, List<SagaCommand> commands) {
    List<Request> reads = new ArrayList<>(commands.size());
    for (SagaCommand command : commands) {
      reads.add(Request.cmd(Command.HGET).arg(StockKeys.order(command.getProductId(), command.getOrderId()))
          .arg("stock"));
    }
    return redis.batch(reads).map(states -> {
      Map<String, StepResult> results = new HashMap<>();
      for (int i = 0; i < commands.size(); i++) {
        Response state = states.get(i);
        results.put(commands.get(i).getOrderId(), state != null && "RESERVED".equals(state.toString())
            ? StepResult.SUCCESS : StepResult.failed(OUT_OF_STOCK));
      }
      return results;
    });
  }

  @Override
  public Future<Void> compensate(SqlConnection tx, List<SagaCommand> commands) {
    List<Future<?>> released = new ArrayList<>(commands.size());
    for (SagaCommand command : commands) {
      JsonObject release = new JsonObject().put("productId", command.getProductId())
          .put("orderId", command.getOrderId());
      released.add(vertx.eventBus().request(StockAddresses.RELEASE, release, LOCAL));
    }
    return Future.join(released).mapEmpty();
  }
}
