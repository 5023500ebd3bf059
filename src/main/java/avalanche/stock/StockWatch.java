package avalanche.stock;

import avalanche.infra.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The purchases of one event loop still waiting for their stock script, looked at together every
 * {@link #TICK_MS}: one that has waited {@link StockLiveness#FIRST_CHECK_MS} while its slot is
 * quiet gets a 503 (see {@link StockLiveness} for why busy is not down). One timer per event loop
 * rather than one per purchase: at ten thousand purchases a second, a timer each meant fifteen
 * thousand live timers in the event loop's queue, each added and fired for nothing, since almost
 * every script answers within milliseconds. Used from the event loop that created it only.
 */
public final class StockWatch {
  /** How often waiting purchases are looked at: the first check comes 1.5 to 1.75 s in. */
  static final long TICK_MS = 250;

  private final StockLiveness liveness;
  private final ArrayDeque<Waiting<?>> waiting = new ArrayDeque<>();

  /** Starts the timer on the calling context (an ingress instance's event loop). */
  public StockWatch(Vertx vertx, StockLiveness liveness) {
    this(liveness);
    vertx.setPeriodic(TICK_MS, id -> tick(System.currentTimeMillis()));
  }

  /** Without a timer: {@link #tick} is called by hand. */
  StockWatch(StockLiveness liveness) {
    this.liveness = liveness;
  }

  /** A script on the bucket with that tag answered now. */
  public void answered(String tag, long nowMs) {
    liveness.answered(tag, nowMs);
  }

  /**
   * {@code work}, or a 503 once it has waited {@link StockLiveness#FIRST_CHECK_MS} while the slot
   * of {@code tag} is not answering (and at the latest after {@link StockLiveness#MAX_WAIT_MS}).
   */
  public <T> Future<T> within(Future<T> work, String tag) {
    if (work.isComplete()) {
      return work;
    }
    Promise<T> answer = Promise.promise();
    work.onComplete(answer::tryComplete, answer::tryFail);
    waiting.add(new Waiting<>(answer, tag, System.currentTimeMillis()));
    return answer.future();
  }

  /** Forgets the answered purchases and answers those that waited too long for a quiet slot. */
  void tick(long nowMs) {
    for (Iterator<Waiting<?>> it = waiting.iterator(); it.hasNext(); ) {
      Waiting<?> w = it.next();
      if (w.answer.future().isComplete()) {
        it.remove();
      } else if (nowMs - w.startedMs >= StockLiveness.FIRST_CHECK_MS
          && (nowMs - w.startedMs >= StockLiveness.MAX_WAIT_MS
              || !liveness.answering(w.tag, nowMs))) {
        w.answer.tryFail(ApiException.unavailable("stock service unavailable, try again"));
        it.remove();
      }
    }
  }

  /** How many purchases are held (answered ones until the next tick included). */
  int held() {
    return waiting.size();
  }

  private record Waiting<T>(Promise<T> answer, String tag, long startedMs) {}
}
