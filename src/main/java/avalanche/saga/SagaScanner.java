package avalanche.saga;

import avalanche.infra.kafka.Rounds;
import io.vertx.core.Future;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the sagas whose due time passed (replies late, a confirmation or compensation interrupted,
 * the timeout reached) and advances them, also those a stopped coordinator left behind: claimed
 * with {@code FOR UPDATE SKIP LOCKED}, so several scanners share the work.
 */
public final class SagaScanner {
  private static final Logger LOG = LoggerFactory.getLogger(SagaScanner.class);
  private static final int BATCH = 200;

  private final SagaStore store;
  private final SagaCoordinator coordinator;

  public SagaScanner(SagaStore store, SagaCoordinator coordinator) {
    this.store = store;
    this.coordinator = coordinator;
  }

  /**
   * One pass: claims overdue sagas and advances them; a full batch means more are waiting, so it
   * goes on.
   */
  public Future<Void> pass() {
    return store
        .claimDue(BATCH)
        .compose(
            due ->
                advance(due).compose(v -> due.size() == BATCH ? pass() : Future.succeededFuture()));
  }

  /**
   * All together first; if that fails, saga by saga, so one that cannot move does not hold the
   * others.
   */
  private Future<Void> advance(List<SagaSnapshot> due) {
    if (due.isEmpty()) {
      return Future.succeededFuture();
    }
    return Rounds.allThenEach(
        due,
        coordinator::onDue,
        SagaSnapshot::orderId,
        (saga, e) -> {
          LOG.warn(
              "order {}: due saga not advanced, retried later: {}", saga.orderId(), e.toString());
          return Future.succeededFuture();
        });
  }
}
