package avalanche.infra.kafka;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.BiPredicate;
import java.util.function.Function;

/**
 * How a polled batch is cut into rounds that a handler can process set-based: a round holds at most
 * one group of each key, so records of one key are processed in their order, one round after the
 * other, while different keys share rounds. Consecutive records of one key form one group when the
 * handler says the next one {@code joins} those before it (it can record them together with the
 * same result). Pure: tested on its own.
 */
public final class Rounds {
  private Rounds() {}

  /**
   * The rounds of {@code items} (in batch order): round {@code n} holds the {@code n}-th group of
   * every key that has one, keys in the order they first appear.
   */
  public static <T> List<List<T>> of(
      List<T> items, Function<T, String> key, BiPredicate<List<T>, T> joins) {
    Map<String, List<List<T>>> byKey = new LinkedHashMap<>();
    int longest = 0;
    for (T item : items) {
      List<List<T>> groups = byKey.computeIfAbsent(key.apply(item), k -> new ArrayList<>());
      List<T> last = groups.isEmpty() ? null : groups.get(groups.size() - 1);
      if (last == null || !joins.test(last, item)) {
        last = new ArrayList<>(2);
        groups.add(last);
      }
      last.add(item);
      longest = Math.max(longest, groups.size());
    }
    List<List<T>> rounds = new ArrayList<>(longest);
    for (int n = 0; n < longest; n++) {
      List<T> round = new ArrayList<>();
      for (List<List<T>> groups : byKey.values()) {
        if (groups.size() > n) {
          round.addAll(groups.get(n));
        }
      }
      rounds.add(round);
    }
    return rounds;
  }

  /**
   * Processes a round set-based first; if that fails, item by item (items of one key in their
   * order, one after the other), so an item that can never be processed fails alone and the others
   * go through. What a single item's failure means is {@code failed}'s to say: park it, or log it
   * and leave it for later.
   */
  public static <T> Future<Void> allThenEach(
      List<T> round,
      Function<List<T>, Future<Void>> handle,
      Function<T, String> key,
      BiFunction<T, Throwable, Future<Void>> failed) {
    return handle
        .apply(round)
        .recover(
            failure -> {
              if (round.size() == 1) {
                return failed.apply(round.get(0), failure);
              }
              Map<String, Future<Void>> chains = new LinkedHashMap<>();
              for (T item : round) {
                Future<Void> before =
                    chains.getOrDefault(key.apply(item), Future.succeededFuture());
                chains.put(
                    key.apply(item),
                    before.compose(
                        v -> handle.apply(List.of(item)).recover(f -> failed.apply(item, f))));
              }
              return Future.join(new ArrayList<>(chains.values())).mapEmpty();
            });
  }
}
