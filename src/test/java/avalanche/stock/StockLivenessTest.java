package avalanche.stock;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.infra.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Busy versus down: a purchase waits while its slot answers, and gets a 503 once it does not. */
class StockLivenessTest {
  private static final String HOT = StockKeys.tag(1);
  private static final String OTHER = StockKeys.tag(2);

  private final Vertx vertx = Vertx.vertx();
  private final StockLiveness liveness = new StockLiveness(vertx);

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
    Future<String> answer = liveness.within(script.future(), HOT);
    vertx.setTimer(StockLiveness.FIRST_CHECK_MS + 1_000, id -> script.complete("RESERVED"));
    assertThat(answer.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .isEqualTo("RESERVED");
    assertThat(System.currentTimeMillis() - started)
        .isGreaterThanOrEqualTo(StockLiveness.FIRST_CHECK_MS + 1_000);
    vertx.cancelTimer(keepAlive);
  }

  @Test
  void aSilentSlotIsAnswered503AfterTheFirstCheck() {
    liveness.answered(HOT, System.currentTimeMillis() - 5_000);
    Future<String> answer = liveness.within(Promise.<String>promise().future(), HOT);
    Throwable failure =
        answer
            .toCompletionStage()
            .toCompletableFuture()
            .handle((ok, e) -> e)
            .orTimeout(10, TimeUnit.SECONDS)
            .join();
    assertThat(failure).isInstanceOf(ApiException.class);
    assertThat(((ApiException) failure).status()).isEqualTo(503);
  }
}
