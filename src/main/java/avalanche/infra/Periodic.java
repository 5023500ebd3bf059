package avalanche.infra;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * A pass of periodic work (a sweep, a repair, a scan) run every {@code intervalMs}. A pass still
 * running when the timer fires again is not overlapped by a second one: that tick is skipped. A
 * failed pass is logged, and the next tick simply tries again. Other instances and processes may
 * run the same work at the same time; the passes themselves make that safe.
 */
public final class Periodic {
  private final Vertx vertx;
  private final long timer;
  private boolean running;

  private Periodic(
      Vertx vertx,
      long delayMs,
      long intervalMs,
      Logger log,
      String what,
      Supplier<Future<?>> pass) {
    this.vertx = vertx;
    this.timer =
        vertx.setPeriodic(
            delayMs,
            intervalMs,
            id -> {
              if (running) {
                return;
              }
              running = true;
              Future<?> done;
              try {
                done = pass.get();
              } catch (RuntimeException e) {
                done = Future.failedFuture(e);
              }
              done.onComplete(
                  ar -> {
                    running = false;
                    if (ar.failed()) {
                      log.warn("{} failed; the next pass retries: {}", what, ar.cause().toString());
                    }
                  });
            });
  }

  /** Starts the passes on the caller's context, the first one after {@code intervalMs}. */
  public static Periodic every(
      Vertx vertx, long intervalMs, Logger log, String what, Supplier<Future<?>> pass) {
    return new Periodic(vertx, intervalMs, intervalMs, log, what, pass);
  }

  /** As {@link #every}, with the first pass after {@code delayMs}. */
  public static Periodic every(
      Vertx vertx,
      long delayMs,
      long intervalMs,
      Logger log,
      String what,
      Supplier<Future<?>> pass) {
    return new Periodic(vertx, delayMs, intervalMs, log, what, pass);
  }

  /** No pass starts after this; one running finishes on its own. */
  public void cancel() {
    vertx.cancelTimer(timer);
  }
}
