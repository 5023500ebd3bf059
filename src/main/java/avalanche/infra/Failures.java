package avalanche.infra;

import avalanche.infra.kafka.PoisonMessage;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.errors.RetriableException;

/**
 * Tells a failure that can never go away from one that may. A 202 is a promise, so the default is
 * "may": a consumer retries a record for as long as it takes (an outage of PostgreSQL, Redis or
 * Kafka, NOSCRIPT, LOADING, READONLY, a timeout, a deadlock, even a bug that a deploy will fix) and
 * parks it on the dead letters only when it is known to be unprocessable.
 */
public final class Failures {
  /**
   * SQLSTATEs that say the statement itself is wrong for this record's data, so replaying it
   * changes nothing: class 22 (data exception: out of range, bad text representation...), a foreign
   * key, not-null or check violation. Unique violations (23505) are left out: a race with another
   * writer resolves itself on replay.
   */
  private static final Set<String> PERMANENT_STATES = Set.of("23502", "23503", "23514");

  private Failures() {}

  /** Redis answers that mean "not now": the server is loading, failing over, or lost the script. */
  private static final List<String> REDIS_NOT_NOW =
      List.of("LOADING", "NOSCRIPT", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY");

  /**
   * Whether a failure says a dependency is away or not answering (refused or lost connection,
   * timeout, a PostgreSQL shutting down or out of connections, Redis loading or failing over, Kafka
   * unreachable), so a request answers 503 UNAVAILABLE rather than 500.
   */
  public static boolean unavailable(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof IOException
          || cause instanceof TimeoutException
          || cause instanceof ClosedConnectionException
          || cause instanceof RetriableException
          || cause instanceof org.apache.kafka.common.errors.TimeoutException
          || cause instanceof avalanche.stock.ProductRestoring) {
        return true;
      }
      if (cause instanceof PgException pg) {
        String state = pg.getSqlState();
        return state != null
            && (state.startsWith("08") || state.startsWith("53") || state.startsWith("57"));
      }
      String message = cause.getMessage();
      if (message != null
          && (message.contains("Connection refused")
              || message.contains("onnection is closed")
              || message.contains("onnection reset")
              || message.contains("imed out")
              || message.startsWith("Timeout")
              || REDIS_NOT_NOW.stream().anyMatch(message::contains))) {
        return true;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return false;
  }

  public static boolean permanent(Throwable failure) {
    if (failure instanceof PoisonMessage) {
      return true;
    }
    if (failure instanceof PgException pg && pg.getSqlState() != null) {
      return pg.getSqlState().startsWith("22") || PERMANENT_STATES.contains(pg.getSqlState());
    }
    return false;
  }
}
