package avalanche.saga;

import avalanche.infra.kafka.AvroMessages;
import avalanche.infra.kafka.KafkaBatchSender;
import avalanche.messages.SagaAction;
import avalanche.messages.SagaCommand;
import avalanche.messages.SagaStep;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sends sagas' commands or compensations to the participants' topics, all at once, keyed by order
 * id.
 */
public final class CommandBus {
  private final KafkaBatchSender producer;

  /** What to send for one saga. */
  public record Outgoing(
      SagaSnapshot saga, SagaAction action, List<SagaStep> steps, String shippingAddress) {}

  public CommandBus(KafkaBatchSender producer) {
    this.producer = producer;
  }

  /** Completes when Kafka acknowledged every one of them. */
  public Future<Void> send(
      SagaSnapshot saga, SagaAction action, List<SagaStep> steps, String shippingAddress) {
    return sendAll(List.of(new Outgoing(saga, action, steps, shippingAddress)));
  }

  /** Sends every record of every saga first, then waits once for all acknowledgements. */
  public Future<Void> sendAll(List<Outgoing> outgoing) {
    long now = System.currentTimeMillis();
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>(outgoing.size() * 3);
    for (Outgoing out : outgoing) {
      SagaSnapshot saga = out.saga();
      for (SagaStep step : out.steps()) {
        SagaCommand command =
            SagaCommand.newBuilder()
                .setOrderId(saga.orderId())
                .setStep(step)
                .setAction(out.action())
                .setProductId(saga.productId())
                .setUserId(saga.userId())
                .setPrice(saga.price())
                .setShippingAddress(
                    out.action() == SagaAction.COMMAND ? out.shippingAddress() : null)
                .setIssuedAt(now)
                .build();
        records.add(
            new ProducerRecord<>(
                SagaSteps.topic(step), saga.orderId(), AvroMessages.encode(command::toByteBuffer)));
      }
    }
    return producer.sendAll(records);
  }
}
