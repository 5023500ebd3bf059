package avalanche.load;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The product invariants of the contract, checked on {@code GET /api/admin/products/{id}/stats} against what
 * the shoppers saw. Returns "" when all hold, else what broke.
 */
final class Invariants {
  private Invariants() {}

  /**
   * {@code cancelled}: cancellations seen (each may have put a unit back); {@code expectedWon} and
   * {@code expectedLost}: the 202 and 200 answers the run saw, or null where the run cannot know them.
   */
  static String violations(String statsBody, long stock, long cancelled, Long expectedWon, Long expectedLost) {
    JsonNode stats;
    try {
      stats = AvalancheApi.JSON.readTree(statsBody);
    } catch (IOException e) {
      return "stats are not JSON: " + statsBody;
    }
    long total = stats.path("total").asLong(-1);
    long available = stats.path("available").asLong(-1);
    long reserved = stats.path("reserved").asLong(-1);
    long sold = stats.path("sold").asLong(-1);
    long won = stats.path("won").asLong(-1);
    List<String> broken = new ArrayList<>();
    if (total != stock) {
      broken.add("total " + total + " != stock " + stock);
    }
    if (total != available + reserved + sold) {
      broken.add("total " + total + " != available " + available + " + reserved " + reserved + " + sold " + sold);
    }
    if (available < 0 || reserved < 0 || sold < 0) {
      broken.add("negative counter: available " + available + ", reserved " + reserved + ", sold " + sold);
    }
    // A cancelled order puts its unit back on sale, so only wins beyond stock plus cancellations are too many.
    if (won > total + cancelled) {
      broken.add("won " + won + " > stock " + total + " (+ " + cancelled + " cancelled)");
    }
    if (expectedWon != null && won != expectedWon) {
      broken.add("won " + won + " != 202 RESERVED answers seen " + expectedWon);
    }
    long lost = stats.path("lost").asLong(-1);
    if (expectedLost != null && lost != expectedLost) {
      broken.add("lost " + lost + " != 200 LOST answers seen " + expectedLost);
    }
    return String.join("; ", broken);
  }

  /** One numeric field of a JSON object, or -1 when absent or not JSON. */
  static long field(String body, String name) {
    try {
      return AvalancheApi.JSON.readTree(body).path(name).asLong(-1);
    } catch (IOException e) {
      return -1;
    }
  }

  /** With {@code required}: every order followed must have settled (COMPLETED or CANCELLED) in time. */
  static String settled(boolean required, Tally tally) {
    long pending = tally.unsettled.get();
    return required && pending > 0 ? pending + " orders still PENDING at the end of their polling" : "";
  }

  /** The non-empty findings joined, "" when there are none. */
  static String join(String... findings) {
    return String.join("; ", java.util.Arrays.stream(findings).filter(f -> !f.isEmpty()).toList());
  }
}
