package avalanche.stock;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.infra.http.ApiException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Busy versus down: a purchase waits while its slot answers, and gets a 503 once it does not. */
class StockLivenessTest {
  private static final String HOT = StockKeys.tag(1);
  private static final String OTHER = StockKeys.tag(2);

  private final Vertx vertx = Vertx.vertx();
  private final StockLiveness liveness = new StockLiveness();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void aSlotIsAnsweringOnlyWhileItAnsweredLately() {
    assertThat(liveness.answering(HOT, 10_000)).as("nothing ever answered").isFalse();
    liveness.answered(OTHER, 10_000);
    assertThat(liveness.answering(HOT, 10_500))
        .as("a slot that never answered goes by the others")
        .isTrue();
    liveness.answered(HOT, 10_000);
    assertThat(liveness.answering(HOT, 10_000 + StockLiveness.RECENT_MS)).isTrue();
    assertThat(liveness.answering(HOT, 10_001 + StockLiveness.RECENT_MS)).isFalse();
    liveness.answered(OTHER, 20_000);
    assertThat(liveness.answering(HOT, 20_000))
        .as("a slot that answered before goes by its own answers")
        .isFalse();
  }

  @Test
  void aStoppingProcessWaitsForNoSlotAnyMore() {
    liveness.answered(HOT, 10_000);
    liveness.closing();
    assertThat(liveness.answering(HOT, 10_000)).isFalse();
  }

  @Test
  void aSlowAnswerIsWaitedForWhileTheSlotAnswers() throws Exception {
    Promise<String> script = Promise.promise();
    long started = System.currentTimeMillis();
    long keepAlive =
        vertx.setPeriodic(100, id -> liveness.answered(HOT, System.currentTimeMillis()));
    Future<String> answer = onContext(watch -> watch.within(script.future(), HOT));
    vertx.setTimer(StockLiveness.FIRST_CHECK_MS + 1_000, id -> script.complete("RESERVED"));
    assertThat(answer.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .isEqualTo("RESERVED");
    assertThat(System.currentTimeMillis() - started)
        .isGreaterThanOrEqualTo(StockLiveness.FIRST_CHECK_MS + 1_000);
    vertx.cancelTimer(keepAlive);
  }

  @Test
  void aSilentSlotIsAnswered503AfterTheFirstCheck() throws Exception {
    liveness.answered(HOT, System.currentTimeMillis() - 5_000);
    long started = System.currentTimeMillis();
    Future<String> answer =
        onContext(watch -> watch.within(Promise.<String>promise().future(), HOT));
    Throwable failure =
        answer
            .toCompletionStage()
            .toCompletableFuture()
            .handle((ok, e) -> e)
            .orTimeout(10, TimeUnit.SECONDS)
            .join();
    assertThat(failure).isInstanceOf(ApiException.class);
    assertThat(((ApiException) failure).status()).isEqualTo(503);
    assertThat(System.currentTimeMillis() - started)
        .as("the contract's 503 within 2 s of a Redis that is down")
        .isBetween(StockLiveness.FIRST_CHECK_MS, 2_000L);
  }

  @Test
  void aTickForgetsAnsweredPurchasesAndKeepsOnlyTheWaitingOnes() {
    StockWatch watch = new StockWatch(liveness);
    liveness.answered(HOT, 1_000);
    Promise<String> slow = Promise.promise();
    Future<String> waiting = watch.within(slow.future(), HOT);
    Promise<String> quick = Promise.promise();
    Future<String> answered = watch.within(quick.future(), HOT);
    assertThat(watch.within(Future.succeededFuture("LOST"), HOT).result())
        .as("an answer already there is passed on as is, never held")
        .isEqualTo("LOST");
    assertThat(watch.held()).isEqualTo(2);
    quick.complete("RESERVED");
    assertThat(answered.result()).isEqualTo("RESERVED");
    watch.tick(System.currentTimeMillis());
    assertThat(watch.held()).as("the answered one is forgotten").isEqualTo(1);
    assertThat(waiting.isComplete()).isFalse();
    slow.complete("SOLD_OUT");
    assertThat(waiting.result()).isEqualTo("SOLD_OUT");
    watch.tick(System.currentTimeMillis());
    assertThat(watch.held()).isZero();
  }

  @Test
  void aLateAnswerAfterThe503ChangesNothing() {
    StockWatch watch = new StockWatch(liveness);
    Promise<String> script = Promise.promise();
    Future<String> answer = watch.within(script.future(), HOT);
    watch.tick(System.currentTimeMillis() + StockLiveness.FIRST_CHECK_MS);
    assertThat(answer.failed()).as("nothing ever answered: a 503").isTrue();
    script.complete("RESERVED");
    assertThat(answer.failed()).isTrue();
    assertThat(watch.held()).isZero();
  }

  /** A watch made on an event loop, as an ingress instance makes its own, and used there. */
  private <T> Future<T> onContext(Function<StockWatch, Future<T>> use) throws Exception {
    Context context = vertx.getOrCreateContext();
    CompletableFuture<Future<T>> made = new CompletableFuture<>();
    context.runOnContext(v -> made.complete(use.apply(new StockWatch(vertx, liveness))));
    return made.get(5, TimeUnit.SECONDS);
  }
}
