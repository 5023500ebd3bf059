package avalanche.saga;

import avalanche.infra.kafka.BatchConsumer;
import avalanche.infra.kafka.Topics;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admission control for new sagas. While too many sagas are open, the coordinator stops taking up
 * {@code order.requested}, so new orders wait in Kafka, where no timer runs. Taken up anyway, they
 * would wait in the participants' queues, pass the saga timeout although nothing is stuck, and be
 * cancelled; each timeout adds compensations, so under sustained overload the saga would fall
 * further behind with every order it starts. Reservations of the waiting orders stay safe: the
 * sweeper releases no row-less reservation while {@code order.requested} has a backlog ({@code
 * order/HandoffBacklog}).
 *
 * <p>The count is global (PostgreSQL), so coordinators in several processes share the bound.
 */
public final class SagaAdmission {
  private static final Logger LOG = LoggerFactory.getLogger(SagaAdmission.class);

  private final SagaStore store;
  private final BatchConsumer<?> consumer;
  private final int maxOpen;
  private boolean closed;

  public SagaAdmission(SagaStore store, BatchConsumer<?> consumer, int maxOpen) {
    this.store = store;
    this.consumer = consumer;
    this.maxOpen = maxOpen;
  }

  /**
   * Whether the gate is closed after seeing {@code open} sagas, given whether it was closed before:
   * it closes at the bound and reopens below three quarters of it, so it does not flap while the
   * saga works at its limit.
   */
  static boolean closedAfter(boolean closed, int open, int maxOpen) {
    return closed ? 4L * open >= 3L * maxOpen : open >= maxOpen;
  }

  /**
   * Counts the open sagas and closes or reopens the gate; while closed, pauses again (a rebalance
   * unpauses).
   */
  public Future<Void> check() {
    return store
        .openSagas(maxOpen)
        .compose(
            open -> {
              boolean was = closed;
              closed = closedAfter(was, open, maxOpen);
              if (closed) {
                if (!was) {
                  LOG.info(
                      "{} sagas open (bound {}): new orders wait in {} until fewer than three quarters of that are",
                      open,
                      maxOpen,
                      Topics.ORDER_REQUESTED);
                }
                return consumer.pause(Topics.ORDER_REQUESTED);
              }
              if (was) {
                LOG.info("{} sagas open: taking up {} again", open, Topics.ORDER_REQUESTED);
                return consumer.resume(Topics.ORDER_REQUESTED);
              }
              return Future.succeededFuture();
            });
  }
}
