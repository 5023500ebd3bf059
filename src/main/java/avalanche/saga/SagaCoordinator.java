package avalanche.saga;

import avalanche.infra.kafka.AvroMessages;
import avalanche.infra.kafka.BatchConsumer;
import avalanche.infra.kafka.PoisonMessage;
import avalanche.infra.kafka.Topics;
import avalanche.messages.OrderRequested;
import avalanche.messages.SagaAction;
import avalanche.messages.SagaReply;
import avalanche.messages.SagaStep;
import avalanche.messages.StepOutcome;
import avalanche.order.OrderIds;
import io.vertx.core.Future;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.pgclient.PgException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order saga's decisions. Each input (an order, a reply, a due time) first records what it says
 * in PostgreSQL, then {@link #advanceAll} looks at the stored sagas and makes the next move; every
 * move is a conditional transition, so replaying an input or racing another coordinator does it at
 * most once, and a move interrupted by a crash is made again by the next input or by the scanner.
 * Inputs come in rounds (distinct orders) and are handled set-based: one statement records a
 * round's orders or replies, one moves the sagas that all succeeded to CONFIRMING, one pipelined
 * Redis batch sells their units, one completes them.
 */
public final class SagaCoordinator implements BatchConsumer.BatchHandler<Object> {
  private static final Logger LOG = LoggerFactory.getLogger(SagaCoordinator.class);
  private static final String FOREIGN_KEY_VIOLATION = "23503";

  private final SagaStore store;
  private final CommandBus commands;
  private final StockConfirmer stock;

  public SagaCoordinator(SagaStore store, CommandBus commands, StockConfirmer stock) {
    this.store = store;
    this.commands = commands;
    this.stock = stock;
  }

  /** An {@link OrderRequested} (checked) or a {@link SagaReply}. */
  @Override
  public Object decode(KafkaConsumerRecord<String, byte[]> record) {
    if (Topics.ORDER_REQUESTED.equals(record.topic())) {
      OrderRequested order =
          AvroMessages.decode(OrderRequested.getDecoder(), record.value(), "OrderRequested");
      if (OrderIds.productOf(order.getOrderId()) != order.getProductId() || order.getPrice() < 0) {
        throw new PoisonMessage(
            "order.requested does not describe an order: " + order.getOrderId());
      }
      return order;
    }
    return AvroMessages.decode(SagaReply.getDecoder(), record.value(), "SagaReply");
  }

  /**
   * Consecutive replies of one order for distinct steps and the same action go in one round:
   * recording them together (each step only while PENDING, the first failure's reason) then
   * advancing once ends where recording and advancing one by one would, as no move is made while a
   * step is still PENDING.
   */
  @Override
  public boolean joins(List<Object> group, Object next) {
    if (!(next instanceof SagaReply reply)) {
      return false;
    }
    for (Object earlier : group) {
      if (!(earlier instanceof SagaReply before)
          || before.getAction() != reply.getAction()
          || before.getStep() == reply.getStep()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public Future<Void> handle(List<BatchConsumer.Item<Object>> round) {
    List<OrderRequested> orders = new ArrayList<>();
    List<BatchConsumer.Item<Object>> replies = new ArrayList<>();
    for (BatchConsumer.Item<Object> item : round) {
      if (item.value() instanceof OrderRequested order) {
        orders.add(order);
      } else {
        replies.add(item);
      }
    }
    Future<Void> started = orders.isEmpty() ? Future.succeededFuture() : onOrdersRequested(orders);
    Future<Void> replied = replies.isEmpty() ? Future.succeededFuture() : onReplies(replies);
    // join, not all: a failed half must not leave the other running while the round is retried
    return Future.join(started, replied).mapEmpty();
  }

  /** Stores the sagas (once) and sends the commands still PENDING, all at once. */
  private Future<Void> onOrdersRequested(List<OrderRequested> orders) {
    return store
        .startAll(orders)
        .recover(
            e ->
                Future.failedFuture(
                    orders.size() == 1
                            && e instanceof PgException pg
                            && FOREIGN_KEY_VIOLATION.equals(pg.getSqlState())
                        ? new PoisonMessage("order of an unknown user or product", e)
                        : e))
        .compose(
            sagas -> {
              List<CommandBus.Outgoing> out = new ArrayList<>(orders.size());
              for (OrderRequested order : orders) {
                SagaSnapshot saga = sagas.get(order.getOrderId());
                if (saga == null) {
                  throw new IllegalStateException(
                      "order " + order.getOrderId() + " neither stored nor found");
                }
                if (saga.state() == SagaState.RUNNING) {
                  out.add(
                      new CommandBus.Outgoing(
                          saga,
                          SagaAction.COMMAND,
                          saga.commandSteps(StepStatus.PENDING::equals),
                          order.getShippingAddress()));
                }
              }
              return commands.sendAll(out);
            });
  }

  /**
   * Records the replies (a step's status changes only while PENDING), then advances their sagas.
   */
  private Future<Void> onReplies(List<BatchConsumer.Item<Object>> items) {
    List<SagaStore.StepReport> commandReports = new ArrayList<>();
    List<SagaStore.StepReport> compensationReports = new ArrayList<>();
    for (BatchConsumer.Item<Object> item : items) {
      SagaReply reply = (SagaReply) item.value();
      StepStatus status =
          reply.getOutcome() == StepOutcome.SUCCESS ? StepStatus.SUCCESS : StepStatus.FAILED;
      SagaStore.StepReport report =
          new SagaStore.StepReport(reply.getOrderId(), reply.getStep(), status, reply.getReason());
      (reply.getAction() == SagaAction.COMMAND ? commandReports : compensationReports).add(report);
    }
    Future<Map<String, SagaSnapshot>> commandsRecorded =
        commandReports.isEmpty()
            ? Future.succeededFuture(Map.of())
            : store.recordAll(commandReports, false);
    Future<Map<String, SagaSnapshot>> compensationsRecorded =
        compensationReports.isEmpty()
            ? Future.succeededFuture(Map.of())
            : store.recordAll(compensationReports, true);
    return Future.join(commandsRecorded, compensationsRecorded)
        .compose(
            recorded -> {
              Map<String, SagaSnapshot> sagas = new LinkedHashMap<>();
              for (BatchConsumer.Item<Object> item : items) {
                SagaReply reply = (SagaReply) item.value();
                SagaSnapshot saga =
                    (reply.getAction() == SagaAction.COMMAND
                            ? commandsRecorded
                            : compensationsRecorded)
                        .result()
                        .get(reply.getOrderId());
                if (saga == null) {
                  item.poison(new PoisonMessage("reply for an unknown saga " + reply.getOrderId()));
                } else {
                  sagas.put(saga.orderId(), saga);
                }
              }
              return advanceAll(new ArrayList<>(sagas.values()), false);
            });
  }

  /** Sagas the scanner claimed because their due time passed. */
  public Future<Void> onDue(List<SagaSnapshot> sagas) {
    return advanceAll(sagas, true);
  }

  /**
   * The next move of each saga (distinct orders, {@link SagaMove#next}). The common path (every
   * step succeeded → CONFIRMING → sold → COMPLETED) is made for all of them together; the rarer
   * moves saga by saga.
   */
  private Future<Void> advanceAll(List<SagaSnapshot> sagas, boolean due) {
    long now = System.currentTimeMillis();
    long timeoutMs = store.timeoutSeconds() * 1_000L;
    List<SagaSnapshot> toConfirm = new ArrayList<>();
    List<SagaSnapshot> confirming = new ArrayList<>();
    List<Future<Void>> others = new ArrayList<>();
    for (SagaSnapshot saga : sagas) {
      SagaMove move = SagaMove.next(saga, due, now, timeoutMs);
      switch (move.kind()) {
        case CONFIRM -> toConfirm.add(saga);
        case SELL -> confirming.add(saga);
        default -> others.add(make(saga, move));
      }
    }
    Future<Void> confirmed =
        toConfirm.isEmpty()
            ? confirmAll(confirming)
            : store
                .confirmingAll(toConfirm.stream().map(SagaSnapshot::orderId).toList())
                .compose(
                    won -> {
                      List<SagaSnapshot> mine = new ArrayList<>(confirming);
                      for (SagaSnapshot saga : toConfirm) {
                        if (won.contains(saga.orderId())) {
                          mine.add(saga);
                        }
                      }
                      return confirmAll(mine);
                    });
    others.add(confirmed);
    return Future.join(others).mapEmpty();
  }

  /** One saga's move other than confirming. */
  private Future<Void> make(SagaSnapshot saga, SagaMove move) {
    return switch (move.kind()) {
      case COMPENSATE -> {
        if (move.reason() == FailureReason.TIMEOUT) {
          LOG.warn(
              "order {}: saga given up after {} s with {} still unanswered; cancelling it (TIMEOUT)",
              saga.orderId(),
              store.timeoutSeconds(),
              saga.commandSteps(StepStatus.PENDING::equals));
        }
        yield compensate(saga, SagaState.RUNNING, move.steps(), move.reason());
      }
      case RESEND_COMMANDS ->
          commands.send(saga, SagaAction.COMMAND, move.steps(), store.shippingAddress(saga));
      case RESEND_COMPENSATIONS -> commands.send(saga, SagaAction.COMPENSATION, move.steps(), null);
      case CANCEL -> store.cancelled(saga.orderId()).mapEmpty();
      case SELL -> confirmAll(List.of(saga));
      case CONFIRM, WAIT -> Future.succeededFuture();
    };
  }

  /**
   * Sells the reserved units (idempotent Lua); a saga whose reservation is gone is cancelled
   * instead.
   */
  private Future<Void> confirmAll(List<SagaSnapshot> sagas) {
    if (sagas.isEmpty()) {
      return Future.succeededFuture();
    }
    return stock
        .confirmAll(sagas)
        .compose(
            sold -> {
              List<String> completed = new ArrayList<>(sagas.size());
              List<Future<Void>> moves = new ArrayList<>();
              for (SagaSnapshot saga : sagas) {
                if (sold.get(saga.orderId())) {
                  completed.add(saga.orderId());
                } else {
                  LOG.info("order {}: reservation is gone, cancelling", saga.orderId());
                  moves.add(
                      compensate(
                          saga,
                          SagaState.CONFIRMING,
                          List.of(SagaStep.values()),
                          FailureReason.OUT_OF_STOCK));
                }
              }
              if (!completed.isEmpty()) {
                moves.add(store.completedAll(completed).mapEmpty());
              }
              return Future.join(moves).mapEmpty();
            });
  }

  private Future<Void> compensate(
      SagaSnapshot saga, SagaState from, List<SagaStep> steps, FailureReason reason) {
    return store
        .compensating(saga.orderId(), from, steps, reason)
        .compose(
            won ->
                won && !steps.isEmpty()
                    ? commands.send(saga, SagaAction.COMPENSATION, steps, null)
                    : Future.succeededFuture());
  }
}
