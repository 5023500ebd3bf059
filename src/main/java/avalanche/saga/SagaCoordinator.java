package avalanche.saga;

import avalanche.infra.PoisonMessage;
import avalanche.messages.OrderRequested;
import avalanche.messages.SagaAction;
import avalanche.messages.SagaReply;
import avalanche.messages.SagaStep;
import avalanche.messages.StepOutcome;
import avalanche.order.OrderIds;
import avalanche.stock.StockAddresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The order saga's decisions. Each input (an order, a reply, a due time) first records what it says in
 * PostgreSQL, then {@link #advance} looks at the stored saga and makes the next move; every move is a
 * conditional transition, so replaying an input or racing another coordinator does it at most once, and a
 * move interrupted by a crash is made again by the next input or by the scanner.
 */
public final class SagaCoordinator {
  private static final Logger LOG = LoggerFactory.getLogger(SagaCoordinator.class);
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setSendTimeout(10_000);
  private static final String FOREIGN_KEY_VIOLATION = "23503";

  public static final String TIMEOUT = "TIMEOUT";
  public static final String OUT_OF_STOCK = "OUT_OF_STOCK";
  /** Only if a participant failed a step without saying why. */
  public static final String STEP_FAILED = "STEP_FAILED";

  private final Vertx vertx;
  private final SagaStore store;
  private final CommandBus commands;

  public SagaCoordinator(Vertx vertx, SagaStore store, CommandBus commands) {
    this.vertx = vertx;
    this.store = store;
    this.commands = commands;
  }

  /** Stores the saga (once) and sends the commands still PENDING, in parallel. */
  public Future<Void> onOrderRequested(OrderRequested order) {
    if (OrderIds.productOf(order.getOrderId()) != order.getProductId() || order.getPrice() < 0) {
      throw new PoisonMessage("order.requested does not describe an order: " + order.getOrderId());
    }
    return store.start(order)
        .recover(e -> Future.failedFuture(e instanceof PgException pg && FOREIGN_KEY_VIOLATION.equals(pg.getSqlState())
            ? new PoisonMessage("order of an unknown user or product", e) : e))
        .compose(saga -> saga.state() == SagaState.RUNNING
            ? commands.send(saga, SagaAction.COMMAND, saga.commandSteps(SagaSnapshot.PENDING::equals),
                order.getShippingAddress())
            : Future.succeededFuture());
  }

  public Future<Void> onReply(SagaReply reply) {
    String status = reply.getOutcome() == StepOutcome.SUCCESS ? SagaSnapshot.SUCCESS : SagaSnapshot.FAILED;
    Future<SagaSnapshot> recorded = reply.getAction() == SagaAction.COMMAND
        ? store.recordCommand(reply.getOrderId(), reply.getStep(), status, reply.getReason())
        : store.recordCompensation(reply.getOrderId(), reply.getStep(), status);
    return recorded.compose(saga -> {
      if (saga == null) {
        throw new PoisonMessage("reply for an unknown saga " + reply.getOrderId());
      }
      return advance(saga, false);
    });
  }

  /** A saga the scanner claimed because its due time passed. */
  public Future<Void> onDue(SagaSnapshot saga) {
    return advance(saga, true);
  }

  private Future<Void> advance(SagaSnapshot saga, boolean due) {
    return switch (saga.state()) {
      case RUNNING -> {
        boolean waiting = saga.anyCommand(SagaSnapshot.PENDING);
        if (saga.anyCommand(SagaSnapshot.FAILED) && !waiting) {
          yield compensate(saga, SagaState.RUNNING, saga.commandSteps(SagaSnapshot.SUCCESS::equals),
              STEP_FAILED);
        }
        if (saga.allCommands(SagaSnapshot.SUCCESS)) {
          yield store.confirming(saga.orderId()).compose(won -> won ? confirm(saga) : Future.succeededFuture());
        }
        if (due) {
          // Timed out: a step still PENDING may yet run, so it is compensated too (its participant keeps a
          // marker that turns the late command into a no-op).
          yield compensate(saga, SagaState.RUNNING, saga.commandSteps(s -> !SagaSnapshot.FAILED.equals(s)), TIMEOUT);
        }
        yield Future.succeededFuture();
      }
      case CONFIRMING -> confirm(saga);
      case COMPENSATING -> {
        List<SagaStep> pending = saga.pendingCompensations();
        if (pending.isEmpty()) {
          yield store.cancelled(saga.orderId()).mapEmpty();
        }
        yield due ? commands.send(saga, SagaAction.COMPENSATION, pending, null) : Future.succeededFuture();
      }
      case COMPLETED, CANCELLED -> Future.succeededFuture();
    };
  }

  /** Sells the reserved unit (idempotent Lua); a reservation that is gone cancels the saga instead. */
  private Future<Void> confirm(SagaSnapshot saga) {
    JsonObject request = new JsonObject().put("productId", saga.productId()).put("orderId", saga.orderId());
    return vertx.eventBus().<JsonObject>request(StockAddresses.CONFIRM, request, LOCAL).compose(reply -> {
      JsonObject result = reply.body();
      boolean sold = "CONFIRMED".equals(result.getString("result"))
          || "NOOP".equals(result.getString("result")) && "SOLD".equals(result.getString("state"));
      if (sold) {
        return store.completed(saga.orderId()).mapEmpty();
      }
      LOG.info("order {}: reservation is {}, cancelling", saga.orderId(), result.getString("state"));
      return compensate(saga, SagaState.CONFIRMING, List.of(SagaStep.values()), OUT_OF_STOCK);
    });
  }

  private Future<Void> compensate(SagaSnapshot saga, SagaState from, List<SagaStep> steps, String reason) {
    return store.compensating(saga.orderId(), from, steps, reason)
        .compose(won -> won && !steps.isEmpty()
            ? commands.send(saga, SagaAction.COMPENSATION, steps, null)
            : Future.succeededFuture());
  }
}
