package avalanche.saga;

import avalanche.messages.SagaStep;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * One saga (an orders row) as the coordinator reads it to decide its next move; {@code
 * sealedAddress} is the purchase's own shipping address, encrypted (null: the user's stored one),
 * {@code startedAtMs} when the saga started.
 */
public record SagaSnapshot(
    String orderId,
    long userId,
    long productId,
    long price,
    SagaState state,
    JsonObject commands,
    JsonObject compensations,
    String failureReason,
    byte[] sealedAddress,
    long startedAtMs) {

  /** The columns {@link #of(Row)} reads. */
  public static final String COLUMNS =
      "id, user_id, product_id, price, saga_state, command_statuses, compensation_statuses, failure_reason, "
          + "shipping_address_enc, saga_started_at";

  public static SagaSnapshot of(Row row) {
    return new SagaSnapshot(
        row.getString("id"),
        row.getLong("user_id"),
        row.getLong("product_id"),
        row.getLong("price"),
        SagaState.valueOf(row.getString("saga_state")),
        (JsonObject) row.getValue("command_statuses"),
        (JsonObject) row.getValue("compensation_statuses"),
        row.getString("failure_reason"),
        sealed(row),
        row.getOffsetDateTime("saga_started_at").toInstant().toEpochMilli());
  }

  private static byte[] sealed(Row row) {
    var address = row.getBuffer("shipping_address_enc");
    return address == null ? null : address.getBytes();
  }

  public boolean anyCommand(StepStatus status) {
    return !commandSteps(status::equals).isEmpty();
  }

  public boolean allCommands(StepStatus status) {
    return commandSteps(s -> s != status).isEmpty();
  }

  public List<SagaStep> commandSteps(Predicate<StepStatus> status) {
    List<SagaStep> steps = new ArrayList<>();
    for (SagaStep step : SagaStep.values()) {
      if (status.test(
          StepStatus.valueOf(commands.getString(step.name(), StepStatus.PENDING.name())))) {
        steps.add(step);
      }
    }
    return steps;
  }

  public List<SagaStep> pendingCompensations() {
    List<SagaStep> steps = new ArrayList<>();
    for (SagaStep step : SagaStep.values()) {
      if (StepStatus.PENDING.name().equals(compensations.getString(step.name()))) {
        steps.add(step);
      }
    }
    return steps;
  }
}
