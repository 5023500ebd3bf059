package avalanche.infra.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;

/**
 * How a batch is cut into rounds, and the one-by-one retry of a failed round: pure logic, no
 * server.
 */
class RoundsTest {
  /** A record: key and name, e.g. "a1" is the first record of key a. */
  private record R(String key, String name) {}

  private static final BiPredicate<List<R>, R> NEVER = (before, next) -> false;

  private static List<R> batch(String... names) {
    List<R> records = new ArrayList<>();
    for (String name : names) {
      records.add(new R(name.substring(0, 1), name));
    }
    return records;
  }

  private static List<List<String>> names(List<List<R>> rounds) {
    return rounds.stream().map(round -> round.stream().map(R::name).toList()).toList();
  }

  @Test
  void distinctKeysShareOneRound() {
    assertThat(names(Rounds.of(batch("a1", "b1", "c1"), R::key, NEVER)))
        .containsExactly(List.of("a1", "b1", "c1"));
  }

  @Test
  void recordsOfOneKeyGoInSuccessiveRoundsInTheirOrder() {
    List<List<String>> rounds =
        names(Rounds.of(batch("a1", "b1", "a2", "a3", "b2", "c1"), R::key, NEVER));
    assertThat(rounds)
        .containsExactly(List.of("a1", "b1", "c1"), List.of("a2", "b2"), List.of("a3"));
  }

  @Test
  void recordsThatJoinTheirPredecessorsShareTheirRound() {
    // a2 joins a1 (a group of two), a3 does not join that group: it opens the next round.
    BiPredicate<List<R>, R> joins =
        (before, next) -> before.size() == 1 && next.name().equals("a2");
    List<List<String>> rounds = names(Rounds.of(batch("a1", "a2", "b1", "a3"), R::key, joins));
    assertThat(rounds).containsExactly(List.of("a1", "a2", "b1"), List.of("a3"));
  }

  @Test
  void anEmptyBatchHasNoRound() {
    assertThat(Rounds.of(List.<R>of(), R::key, NEVER)).isEmpty();
  }

  @Test
  void aRoundThatSucceedsIsHandledOnceAsAWhole() {
    List<List<String>> calls = new ArrayList<>();
    Future<Void> done =
        Rounds.allThenEach(
            batch("a1", "b1"),
            round -> {
              calls.add(round.stream().map(R::name).toList());
              return Future.succeededFuture();
            },
            R::key,
            (r, e) -> Future.failedFuture(e));
    assertThat(done.succeeded()).isTrue();
    assertThat(calls).containsExactly(List.of("a1", "b1"));
  }

  @Test
  void aFailedRoundIsRetriedItemByItemAndOnlyTheBadItemFails() {
    List<List<String>> calls = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    Future<Void> done =
        Rounds.allThenEach(
            batch("a1", "b1", "c1"),
            round -> {
              calls.add(round.stream().map(R::name).toList());
              boolean bad = round.stream().anyMatch(r -> r.name().equals("b1"));
              return bad
                  ? Future.failedFuture(new IllegalStateException("b1 is bad"))
                  : Future.succeededFuture();
            },
            R::key,
            (r, e) -> {
              failed.add(r.name() + ": " + e.getMessage());
              return Future.succeededFuture();
            });
    assertThat(done.succeeded()).isTrue();
    assertThat(calls)
        .containsExactly(List.of("a1", "b1", "c1"), List.of("a1"), List.of("b1"), List.of("c1"));
    assertThat(failed).containsExactly("b1: b1 is bad");
  }

  @Test
  void aFailedRoundOfOneIsNotTriedAgain() {
    List<String> calls = new ArrayList<>();
    Future<Void> done =
        Rounds.allThenEach(
            batch("a1"),
            round -> {
              calls.add(round.get(0).name());
              return Future.failedFuture(new IllegalStateException("down"));
            },
            R::key,
            (r, e) -> Future.failedFuture(e));
    assertThat(calls).containsExactly("a1");
    assertThat(done.failed()).isTrue();
    assertThat(done.cause()).hasMessage("down");
  }

  @Test
  void aTransientItemFailurePassedOnFailsTheRound() {
    Future<Void> done =
        Rounds.allThenEach(
            batch("a1", "b1"),
            round -> Future.failedFuture(new IllegalStateException("Redis is down")),
            R::key,
            (r, e) -> Future.failedFuture(e));
    assertThat(done.failed()).isTrue();
  }
}
