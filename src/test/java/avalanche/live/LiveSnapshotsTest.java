package avalanche.live;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The snapshot arithmetic alone: rates from counter differences, which products are listed, the
 * queue hook.
 */
class LiveSnapshotsTest {
  private static final long T0 = 1_800_000_000_000L;

  private static ProductSample product(
      long id,
      long dropAt,
      long available,
      long won,
      long lost,
      long soldOut,
      long already,
      long sold,
      long returns) {
    return new ProductSample(
        id,
        "p" + id,
        dropAt,
        available,
        won - sold - returns,
        sold,
        won,
        lost,
        soldOut,
        already,
        returns,
        null);
  }

  private static Sample sample(long at, List<ProductSample> products, Map<Long, Long> rejected) {
    return new Sample(at, products, rejected, 7L, 12.34);
  }

  @Test
  void ratesAreCounterDifferencesPerSecondAcrossSamples() {
    LiveSnapshots snapshots = new LiveSnapshots();
    JsonObject first =
        snapshots.next(sample(T0, List.of(product(1, T0 - 1, 10, 0, 0, 0, 0, 0, 0)), Map.of()));
    assertThat(first.getJsonArray("products").getJsonObject(0).getDouble("attemptsPerSecond"))
        .isZero();

    // Two seconds later: 6 won (2 sold, 1 returned), 4 lost, 2 sold out, 2 already purchased, 4
    // refused here.
    JsonObject second =
        snapshots.next(
            sample(T0 + 2_000, List.of(product(1, T0 - 1, 4, 6, 4, 2, 2, 2, 1)), Map.of(1L, 4L)));
    JsonObject p = second.getJsonArray("products").getJsonObject(0);
    assertThat(p.getJsonObject("outcomesPerSecond").getMap())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "RESERVED",
                3.0,
                "LOST",
                2.0,
                "SOLD_OUT",
                1.0,
                "ALREADY_PURCHASED",
                1.0,
                "REJECTED",
                2.0));
    assertThat(p.getDouble("attemptsPerSecond")).isEqualTo(9.0);
    assertThat(p.getLong("available")).isEqualTo(4);
    assertThat(p.getLong("reserved")).isEqualTo(3);
    assertThat(p.getLong("sold")).isEqualTo(2);
    assertThat(p.getString("productId")).isEqualTo("1");
    assertThat(second.getDouble("ordersSettledPerSecond")).isEqualTo(1.5);
    assertThat(second.getLong("sagasOpen")).isEqualTo(7);
    assertThat(second.getDouble("purchaseP99Ms")).isEqualTo(12.3);
    assertThat(second.getString("at")).isEqualTo("2027-01-15T08:00:02Z");
    assertThat(p.containsKey("queueWaiting")).as("no room, no field").isFalse();
  }

  @Test
  void listsOpenUnsoldDropsAndProductsAttemptedWithinAMinute() {
    LiveSnapshots snapshots = new LiveSnapshots();
    ProductSample future = product(1, T0 + 3_600_000, 10, 0, 0, 0, 0, 0, 0);
    ProductSample soldOutQuiet = product(2, T0 - 1, 0, 5, 0, 0, 0, 5, 0);
    ProductSample soldOutBusy = product(3, T0 - 1, 0, 5, 0, 0, 0, 5, 0);
    ProductSample open = product(4, T0 - 1, 3, 0, 0, 0, 0, 0, 0);
    snapshots.next(sample(T0, List.of(future, soldOutQuiet, soldOutBusy, open), Map.of()));

    ProductSample busyNow = product(3, T0 - 1, 0, 5, 0, 9, 0, 5, 0);
    // Refused attempts (e.g. before the drop opens) count as attempts too.
    JsonObject snapshot =
        snapshots.next(
            sample(T0 + 1_000, List.of(future, soldOutQuiet, busyNow, open), Map.of(1L, 3L)));
    assertThat(ids(snapshot.getJsonArray("products"))).containsExactlyInAnyOrder("1", "3", "4");

    // 61 s later, nothing attempted since: only the open drop stays.
    snapshots.next(
        sample(T0 + 30_000, List.of(future, soldOutQuiet, busyNow, open), Map.of(1L, 3L)));
    JsonObject later =
        snapshots.next(
            sample(T0 + 62_000, List.of(future, soldOutQuiet, busyNow, open), Map.of(1L, 3L)));
    assertThat(ids(later.getJsonArray("products"))).containsExactly("4");
  }

  @Test
  void queueWaitingIsShownForProductsWithARoom() {
    LiveSnapshots snapshots = new LiveSnapshots();
    ProductSample withoutRoom = product(1, T0 - 1, 3, 0, 0, 0, 0, 0, 0);
    ProductSample room = new ProductSample(2, "p2", T0 - 1, 3, 0, 0, 0, 0, 0, 0, 0, 42L);
    JsonObject snapshot = snapshots.next(sample(T0, List.of(withoutRoom, room), Map.of()));
    JsonArray products = snapshot.getJsonArray("products");
    JsonObject withRoom =
        products.getJsonObject(0).getString("productId").equals("2")
            ? products.getJsonObject(0)
            : products.getJsonObject(1);
    JsonObject noRoom =
        products.getJsonObject(0) == withRoom
            ? products.getJsonObject(1)
            : products.getJsonObject(0);
    assertThat(withRoom.getLong("queueWaiting")).isEqualTo(42);
    assertThat(noRoom.containsKey("queueWaiting")).isFalse();
  }

  @Test
  void aCounterThatWentBackAfterARebuildGivesNoNegativeRate() {
    LiveSnapshots snapshots = new LiveSnapshots();
    snapshots.next(sample(T0, List.of(product(1, T0 - 1, 0, 9, 0, 0, 0, 9, 0)), Map.of()));
    JsonObject after =
        snapshots.next(
            sample(T0 + 1_000, List.of(product(1, T0 - 1, 5, 4, 0, 0, 0, 4, 0)), Map.of()));
    assertThat(after.getJsonArray("products").getJsonObject(0).getDouble("attemptsPerSecond"))
        .isZero();
    assertThat(after.getDouble("ordersSettledPerSecond")).isZero();
  }

  private static List<String> ids(JsonArray products) {
    return products.stream().map(p -> ((JsonObject) p).getString("productId")).toList();
  }
}
