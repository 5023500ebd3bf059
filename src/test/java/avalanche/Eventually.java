package avalanche;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waiting, in tests, for something the server does in its own time (a saga settling, a feed
 * catching up, a mail retried): the value is read again every {@value #POLL_MS} ms until it passes
 * the check or the time is up. Reads never overlap, and the wait is a Vert.x timer, so it may run
 * on an event loop.
 */
public final class Eventually {
  public static final long POLL_MS = 50;

  private Eventually() {}

  /**
   * The first value read that passes {@code check}; fails with the last value once {@code maxMs}
   * passed.
   */
  public static <T> Future<T> eventually(
      Vertx vertx, long maxMs, Supplier<Future<T>> read, Predicate<T> check) {
    return poll(vertx, System.currentTimeMillis() + maxMs, read, check);
  }

  /**
   * Whether {@code probe} answered true within {@code maxMs}: true as soon as it does, false once
   * the time is up (so a test may also assert that something does not happen). A failed probe
   * counts as "not yet".
   */
  public static Future<Boolean> until(Vertx vertx, long maxMs, Supplier<Future<Boolean>> probe) {
    return eventually(vertx, maxMs, () -> probe.get().otherwise(false), Boolean::booleanValue)
        .otherwise(false);
  }

  private static <T> Future<T> poll(
      Vertx vertx, long deadline, Supplier<Future<T>> read, Predicate<T> check) {
    return read.get()
        .compose(
            value -> {
              if (check.test(value)) {
                return Future.succeededFuture(value);
              }
              if (System.currentTimeMillis() > deadline) {
                return Future.failedFuture(
                    new AssertionError("condition not reached in time; last value: " + value));
              }
              return vertx.timer(POLL_MS).compose(tick -> poll(vertx, deadline, read, check));
            });
  }
}
