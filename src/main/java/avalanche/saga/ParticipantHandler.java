package avalanche.saga;

import avalanche.infra.AvroMessages;
import avalanche.infra.PoisonMessage;
import avalanche.infra.Topics;
import avalanche.messages.SagaAction;
import avalanche.messages.SagaCommand;
import avalanche.messages.SagaReply;
import avalanche.messages.StepOutcome;
import avalanche.order.OrderIds;
import io.vertx.core.Future;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

/**
 * Runs a participant's commands and compensations exactly once per (order, step), and replies on
 * {@code saga.replies}. The {@code participant_steps} row of the step is locked by every delivery, so:
 * a redelivered command replays the outcome recorded the first time; a redelivered compensation changes
 * nothing; a compensation that comes before its command leaves a marker and the late command fails as a
 * no-op. The reply is sent after the transaction commits, and sent again on every redelivery.
 */
public final class ParticipantHandler {
  public static final String COMPENSATED = "COMPENSATED";

  private final Pool pg;
  private final KafkaProducer<String, byte[]> producer;
  private final Participant participant;

  public ParticipantHandler(Pool pg, KafkaProducer<String, byte[]> producer, Participant participant) {
    this.pg = pg;
    this.producer = producer;
    this.participant = participant;
  }

  public Future<Void> handle(KafkaConsumerRecord<String, byte[]> record) {
    SagaCommand command = AvroMessages.decode(SagaCommand.getDecoder(), record.value(), "SagaCommand");
    if (command.getStep() != participant.step()) {
      throw new PoisonMessage(command.getStep() + " command on the " + participant.step() + " topic");
    }
    if (OrderIds.productOf(command.getOrderId()) != command.getProductId() || command.getPrice() < 0) {
      throw new PoisonMessage("command does not describe an order: " + command.getOrderId());
    }
    Future<StepResult> done = command.getAction() == SagaAction.COMMAND
        ? pg.withTransaction(tx -> lock(tx, command).compose(row -> execute(tx, command, row)))
        : pg.withTransaction(tx -> lock(tx, command).compose(row -> compensate(tx, command, row)));
    return done.compose(result -> reply(command, result));
  }

  private Future<StepResult> execute(SqlConnection tx, SagaCommand command, Row step) {
    String recorded = step.getString("command_outcome");
    if (recorded != null) {
      return Future.succeededFuture(new StepResult(StepOutcome.valueOf(recorded), step.getString("command_reason")));
    }
    Future<StepResult> result = step.getBoolean("compensated")
        ? Future.succeededFuture(StepResult.failed(COMPENSATED))
        : participant.execute(tx, command);
    return result.compose(r -> tx.preparedQuery("""
            UPDATE participant_steps SET command_outcome = $3, command_reason = $4, updated_at = now()
             WHERE order_id = $1 AND step = $2""")
        .execute(Tuple.of(command.getOrderId(), command.getStep().name(), r.outcome().name(), r.reason()))
        .map(r));
  }

  private Future<StepResult> compensate(SqlConnection tx, SagaCommand command, Row step) {
    if (step.getBoolean("compensated")) {
      return Future.succeededFuture(StepResult.SUCCESS);
    }
    return participant.compensate(tx, command)
        .compose(undone -> tx.preparedQuery("""
                UPDATE participant_steps SET compensated = true, updated_at = now()
                 WHERE order_id = $1 AND step = $2""")
            .execute(Tuple.of(command.getOrderId(), command.getStep().name())))
        .map(StepResult.SUCCESS);
  }

  /** Creates the step's row if needed and locks it for the rest of the transaction. */
  private static Future<Row> lock(SqlConnection tx, SagaCommand command) {
    return tx.preparedQuery("""
            INSERT INTO participant_steps (order_id, step) VALUES ($1, $2)
            ON CONFLICT (order_id, step) DO UPDATE SET updated_at = participant_steps.updated_at
            RETURNING command_outcome, command_reason, compensated""")
        .execute(Tuple.of(command.getOrderId(), command.getStep().name()))
        .map(rows -> rows.iterator().next());
  }

  private Future<Void> reply(SagaCommand command, StepResult result) {
    SagaReply reply = SagaReply.newBuilder()
        .setOrderId(command.getOrderId()).setStep(command.getStep()).setAction(command.getAction())
        .setOutcome(result.outcome()).setReason(result.reason()).setRepliedAt(System.currentTimeMillis())
        .build();
    return producer.send(KafkaProducerRecord.create(Topics.SAGA_REPLIES, command.getOrderId(),
        AvroMessages.encode(reply::toByteBuffer))).mapEmpty();
  }
}
