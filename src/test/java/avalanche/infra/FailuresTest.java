package avalanche.infra;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.infra.kafka.PoisonMessage;
import avalanche.stock.ProductRestoring;
import io.vertx.core.VertxException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** Which failures a consumer parks on the dead letters, and which a request answers with 503. */
class FailuresTest {
  private static PgException pg(String state) {
    return new PgException("boom", "ERROR", state, "detail");
  }

  @Test
  void onlyWhatReplayingCannotChangeIsPermanent() {
    assertThat(Failures.permanent(new PoisonMessage("not ours"))).isTrue();
    assertThat(Failures.permanent(pg("22003"))).as("numeric value out of range").isTrue();
    assertThat(Failures.permanent(pg("23503"))).as("foreign key").isTrue();
    assertThat(Failures.permanent(pg("23514"))).as("check").isTrue();

    assertThat(Failures.permanent(pg("23505"))).as("unique: a race, replay resolves it").isFalse();
    assertThat(Failures.permanent(pg("40P01"))).as("deadlock").isFalse();
    assertThat(Failures.permanent(pg("57P01"))).as("admin shutdown").isFalse();
    assertThat(Failures.permanent(new ConnectException("Connection refused"))).isFalse();
    assertThat(Failures.permanent(new VertxException("ERR [0] NOSCRIPT No matching script")))
        .isFalse();
    assertThat(Failures.permanent(new IllegalStateException("a bug a deploy will fix"))).isFalse();
  }

  @Test
  void dependencyOutagesAreUnavailableAndBugsAreNot() {
    assertThat(Failures.unavailable(new ConnectException("Connection refused"))).isTrue();
    assertThat(Failures.unavailable(ClosedConnectionException.INSTANCE)).isTrue();
    assertThat(Failures.unavailable(new TimeoutException())).isTrue();
    assertThat(Failures.unavailable(new VertxException("Connection refused: /127.0.0.1:6379")))
        .isTrue();
    assertThat(
            Failures.unavailable(
                new VertxException("LOADING Redis is loading the dataset in memory")))
        .isTrue();
    assertThat(
            Failures.unavailable(new RuntimeException("wrapped", new ConnectException("refused"))))
        .isTrue();
    assertThat(Failures.unavailable(pg("57P01"))).isTrue();
    assertThat(Failures.unavailable(pg("08006"))).isTrue();
    assertThat(Failures.unavailable(new ProductRestoring(7))).isTrue();
    assertThat(Failures.unavailable(new org.apache.kafka.common.errors.TimeoutException("expired")))
        .isTrue();

    assertThat(Failures.unavailable(pg("42703"))).as("undefined column: a bug").isFalse();
    assertThat(Failures.unavailable(new NullPointerException())).isFalse();
    assertThat(Failures.unavailable(new IllegalArgumentException("bad"))).isFalse();
  }
}
