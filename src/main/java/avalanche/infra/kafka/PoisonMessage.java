package avalanche.infra.kafka;

/**
 * A Kafka record that can never be processed (not ours, corrupt, unknown schema, refers to
 * nothing): it goes to the dead-letter topic at once instead of being retried.
 */
public class PoisonMessage extends RuntimeException {
  public PoisonMessage(String message) {
    super(message, null, false, false);
  }

  public PoisonMessage(String message, Throwable cause) {
    super(message + ": " + cause, cause, false, false);
  }
}
