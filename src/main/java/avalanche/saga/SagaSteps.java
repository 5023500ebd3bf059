package avalanche.saga;

import avalanche.infra.kafka.Topics;
import avalanche.messages.SagaStep;

/** Which participant topic carries the commands and compensations of each step. */
public final class SagaSteps {
  private SagaSteps() {}

  public static String topic(SagaStep step) {
    return switch (step) {
      case CHECK_STOCK -> Topics.STOCK_COMMANDS;
      case APPLY_POINTS -> Topics.POINT_COMMANDS;
      case PREPARE_SHIPPING -> Topics.SHIPPING_COMMANDS;
    };
  }
}
