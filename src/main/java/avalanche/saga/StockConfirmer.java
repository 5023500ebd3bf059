package avalanche.saga;

import avalanche.stock.ProductRestoring;
import avalanche.stock.StockScripts;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sells the reserved units of many sagas at once: one confirm.lua ({@link StockScripts#CONFIRM},
 * the keys of {@link StockScripts#confirmKeys}; idempotent per order) per saga, all pipelined in
 * one batch over the coordinator's own Redis client.
 */
public final class StockConfirmer {
  private final Redis redis;

  public StockConfirmer(Redis redis) {
    this.redis = redis;
  }

  /** Loads the script (so the first batch need not). */
  public Future<Void> prepare() {
    return redis.send(StockScripts.CONFIRM.loadRequest()).mapEmpty();
  }

  /** Order id → whether its unit is sold (just now or before); false: the reservation is gone. */
  public Future<Map<String, Boolean>> confirmAll(List<SagaSnapshot> sagas) {
    if (sagas.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    List<Request> calls = new ArrayList<>(sagas.size());
    for (SagaSnapshot saga : sagas) {
      calls.add(
          StockScripts.CONFIRM.evalsha(
              StockScripts.confirmKeys(saga.orderId()), List.of(saga.orderId())));
    }
    return StockScripts.CONFIRM
        .runAll(redis::batch, redis::send, calls)
        .map(
            responses -> {
              Map<String, Boolean> sold = new HashMap<>();
              for (int i = 0; i < sagas.size(); i++) {
                Response r = responses.get(i);
                String result = r.get(0).toString();
                if ("RETRY".equals(result)) {
                  // Redis lost the product and the repair has not rebuilt it: not decided, the
                  // round is retried.
                  throw new ProductRestoring(sagas.get(i).productId());
                }
                String state = r.size() > 1 ? r.get(1).toString() : null;
                sold.put(
                    sagas.get(i).orderId(),
                    "CONFIRMED".equals(result) || "NOOP".equals(result) && "SOLD".equals(state));
              }
              return sold;
            });
  }

  public Future<Void> close() {
    return redis.close();
  }
}
