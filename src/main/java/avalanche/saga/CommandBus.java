package avalanche.saga;

import avalanche.infra.AvroMessages;
import avalanche.messages.SagaAction;
import avalanche.messages.SagaCommand;
import avalanche.messages.SagaStep;
import io.vertx.core.Future;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;

import java.util.ArrayList;
import java.util.List;

/** Sends a saga's commands or compensations to the participants' topics, all at once, keyed by order id. */
public final class CommandBus {
  private final KafkaProducer<String, byte[]> producer;

  public CommandBus(KafkaProducer<String, byte[]> producer) {
    this.producer = producer;
  }

  /** Completes when Kafka acknowledged every one of them. */
  public Future<Void> send(SagaSnapshot saga, SagaAction action, List<SagaStep> steps, String shippingAddress) {
    long now = System.currentTimeMillis();
    List<Future<?>> sent = new ArrayList<>(steps.size());
    for (SagaStep step : steps) {
      SagaCommand command = SagaCommand.newBuilder()
          .setOrderId(saga.orderId()).setStep(step).setAction(action)
          .setProductId(saga.productId()).setUserId(saga.userId()).setPrice(saga.price())
          .setShippingAddress(action == SagaAction.COMMAND ? shippingAddress : null)
          .setIssuedAt(now)
          .build();
      sent.add(producer.send(KafkaProducerRecord.create(SagaSteps.topic(step), saga.orderId(),
          AvroMessages.encode(command::toByteBuffer))));
    }
    return Future.all(sent).mapEmpty();
  }
}
