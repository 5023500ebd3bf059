package avalanche.saga;

import avalanche.infra.kafka.AvroMessages;
import avalanche.infra.kafka.BatchConsumer;
import avalanche.infra.kafka.KafkaBatchSender;
import avalanche.infra.kafka.PoisonMessage;
import avalanche.infra.kafka.Topics;
import avalanche.messages.SagaAction;
import avalanche.messages.SagaCommand;
import avalanche.messages.SagaReply;
import avalanche.messages.StepOutcome;
import avalanche.order.OrderIds;
import io.vertx.core.Future;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Runs a participant's commands and compensations exactly once per (order, step), and replies on
 * {@code saga.replies}; a round of records (distinct orders) takes one transaction and a handful of
 * statements. The {@code participant_steps} row of each step is locked by every delivery, so: a
 * redelivered command replays the outcome recorded the first time; a redelivered compensation
 * changes nothing; a compensation that comes before its command leaves a marker and the late
 * command fails as a no-op. The replies are sent after the transaction commits (all at once), and
 * sent again on every redelivery.
 */
public final class ParticipantHandler implements BatchConsumer.BatchHandler<SagaCommand> {

  private final Pool pg;
  private final KafkaBatchSender producer;
  private final Participant participant;

  public ParticipantHandler(Pool pg, KafkaBatchSender producer, Participant participant) {
    this.pg = pg;
    this.producer = producer;
    this.participant = participant;
  }

  @Override
  public SagaCommand decode(KafkaConsumerRecord<String, byte[]> record) {
    SagaCommand command =
        AvroMessages.decode(SagaCommand.getDecoder(), record.value(), "SagaCommand");
    if (command.getStep() != participant.step()) {
      throw new PoisonMessage(
          command.getStep() + " command on the " + participant.step() + " topic");
    }
    if (OrderIds.productOf(command.getOrderId()) != command.getProductId()
        || command.getPrice() < 0) {
      throw new PoisonMessage("command does not describe an order: " + command.getOrderId());
    }
    return command;
  }

  @Override
  public Future<Void> handle(List<BatchConsumer.Item<SagaCommand>> round) {
    List<SagaCommand> commands = new ArrayList<>(round.size());
    round.forEach(item -> commands.add(item.value()));
    // One order per round, so one row per order; locked in a stable order (no deadlock between
    // instances).
    commands.sort(Comparator.comparing(SagaCommand::getOrderId));
    return pg.withTransaction(tx -> lock(tx, commands).compose(steps -> run(tx, commands, steps)))
        .compose(results -> reply(commands, results));
  }

  private Future<Map<String, StepResult>> run(
      SqlConnection tx, List<SagaCommand> commands, Map<String, Row> steps) {
    Map<String, StepResult> results = new HashMap<>();
    List<SagaCommand> toExecute = new ArrayList<>();
    List<SagaCommand> toCompensate = new ArrayList<>();
    Map<String, StepResult> toRecord = new HashMap<>();
    for (SagaCommand command : commands) {
      Row step = steps.get(command.getOrderId());
      if (command.getAction() == SagaAction.COMMAND) {
        String recorded = step.getString("command_outcome");
        if (recorded != null) {
          results.put(
              command.getOrderId(),
              new StepResult(StepOutcome.valueOf(recorded), step.getString("command_reason")));
        } else if (step.getBoolean("compensated")) {
          StepResult noop = StepResult.failed(FailureReason.COMPENSATED);
          results.put(command.getOrderId(), noop);
          toRecord.put(command.getOrderId(), noop);
        } else {
          toExecute.add(command);
        }
      } else {
        results.put(command.getOrderId(), StepResult.SUCCESS);
        if (!step.getBoolean("compensated")) {
          toCompensate.add(command);
        }
      }
    }
    Future<Void> executed =
        toExecute.isEmpty()
            ? Future.succeededFuture()
            : participant
                .execute(tx, toExecute)
                .map(
                    done -> {
                      for (SagaCommand command : toExecute) {
                        StepResult result = done.get(command.getOrderId());
                        if (result == null) {
                          throw new IllegalStateException("no result for " + command.getOrderId());
                        }
                        results.put(command.getOrderId(), result);
                        toRecord.put(command.getOrderId(), result);
                      }
                      return null;
                    });
    return executed
        .compose(v -> recordOutcomes(tx, toRecord))
        .compose(
            v ->
                toCompensate.isEmpty()
                    ? Future.succeededFuture()
                    : participant
                        .compensate(tx, toCompensate)
                        .compose(undone -> markCompensated(tx, toCompensate)))
        .map(results);
  }

  /** Creates the steps' rows if needed and locks them for the rest of the transaction. */
  private Future<Map<String, Row>> lock(SqlConnection tx, List<SagaCommand> commands) {
    String[] orderIds = commands.stream().map(SagaCommand::getOrderId).toArray(String[]::new);
    return tx.preparedQuery(
            """
            INSERT INTO participant_steps (order_id, step)
            SELECT o.order_id, $2 FROM unnest($1::text[]) WITH ORDINALITY AS o(order_id, n) ORDER BY o.n
            ON CONFLICT (order_id, step) DO UPDATE SET updated_at = participant_steps.updated_at
            RETURNING order_id, command_outcome, command_reason, compensated""")
        .execute(Tuple.of(orderIds, participant.step().name()))
        .map(
            rows -> {
              Map<String, Row> steps = new HashMap<>();
              rows.forEach(row -> steps.put(row.getString("order_id"), row));
              if (steps.size() != orderIds.length) {
                throw new IllegalStateException(
                    "locked " + steps.size() + " step rows of " + orderIds.length);
              }
              return steps;
            });
  }

  private Future<Void> recordOutcomes(SqlConnection tx, Map<String, StepResult> outcomes) {
    if (outcomes.isEmpty()) {
      return Future.succeededFuture();
    }
    String[] ids = new String[outcomes.size()];
    String[] results = new String[ids.length];
    String[] reasons = new String[ids.length];
    int i = 0;
    for (Map.Entry<String, StepResult> e : outcomes.entrySet()) {
      ids[i] = e.getKey();
      results[i] = e.getValue().outcome().name();
      reasons[i] = e.getValue().reason();
      i++;
    }
    return tx.preparedQuery(
            """
            UPDATE participant_steps p SET command_outcome = r.outcome, command_reason = r.reason, updated_at = now()
              FROM unnest($1::text[], $2::text[], $3::text[]) AS r(order_id, outcome, reason)
             WHERE p.order_id = r.order_id AND p.step = $4""")
        .execute(Tuple.of(ids, results, reasons, participant.step().name()))
        .mapEmpty();
  }

  private Future<Void> markCompensated(SqlConnection tx, List<SagaCommand> commands) {
    String[] ids = commands.stream().map(SagaCommand::getOrderId).toArray(String[]::new);
    return tx.preparedQuery(
            """
            UPDATE participant_steps SET compensated = true, updated_at = now()
             WHERE order_id = ANY($1::text[]) AND step = $2""")
        .execute(Tuple.of(ids, participant.step().name()))
        .mapEmpty();
  }

  /** Sends every reply, then waits for all of them. */
  private Future<Void> reply(List<SagaCommand> commands, Map<String, StepResult> results) {
    long now = System.currentTimeMillis();
    List<ProducerRecord<String, byte[]>> replies = new ArrayList<>(commands.size());
    for (SagaCommand command : commands) {
      StepResult result = results.get(command.getOrderId());
      SagaReply reply =
          SagaReply.newBuilder()
              .setOrderId(command.getOrderId())
              .setStep(command.getStep())
              .setAction(command.getAction())
              .setOutcome(result.outcome())
              .setReason(result.reason())
              .setRepliedAt(now)
              .build();
      replies.add(
          new ProducerRecord<>(
              Topics.SAGA_REPLIES, command.getOrderId(), AvroMessages.encode(reply::toByteBuffer)));
    }
    return producer.sendAll(replies);
  }
}
