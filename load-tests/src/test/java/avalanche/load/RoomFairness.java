package avalanche.load;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the waiting-room shoppers saw, and the fairness figures from it: the share of admissions out of place order,
 * the rank correlation between joining the pre-queue and the place drawn at dropAt (Spearman; about 0 when the order
 * is random), and whether every later joiner is placed behind the whole pre-queue. Also checks each ticket answer
 * against the contract ({@link #problem}).
 */
final class RoomFairness {
  /** One ticket: when it joined (ms, as the shopper saw the answer), whether in the pre-queue, its place, admission. */
  private static final class Ticket {
    final long joinedAt;
    final boolean preQueue;
    volatile Long place;
    volatile Long admittedAt;

    Ticket(long joinedAt, boolean preQueue) {
      this.joinedAt = joinedAt;
      this.preQueue = preQueue;
    }
  }

  private final Map<String, Ticket> tickets = new ConcurrentHashMap<>();
  private final long admissionTtlMs;
  final AtomicLong notAdmittedRefusals = new AtomicLong();
  final AtomicLong admittedPurchases = new AtomicLong();

  RoomFairness(long admissionTtlMs) {
    this.admissionTtlMs = admissionTtlMs;
  }

  /** "" when {@code body} is a ticket answer the contract allows in {@code states}, else what is wrong. */
  static String problem(String body, long admitPerSecond, String... states) {
    JsonNode ticket;
    try {
      ticket = AvalancheApi.JSON.readTree(body);
    } catch (IOException e) {
      return "not JSON: " + body;
    }
    String state = ticket.path("state").asText();
    if (!List.of(states).contains(state)) {
      return "state " + state + " not in " + List.of(states);
    }
    if (ticket.path("ticket").asText().isEmpty()) {
      return "no ticket: " + body;
    }
    JsonNode position = ticket.path("position");
    JsonNode wait = ticket.path("estimatedWaitSeconds");
    return switch (state) {
      case "PRE_QUEUE" -> position.isNull() && wait.isNull() ? "" : "a pre-queue ticket shows a position: " + body;
      case "WAITING" -> position.asLong(0) >= 1 && wait.asLong(-1) == (position.asLong() + admitPerSecond - 1) / admitPerSecond
          && ticket.hasNonNull("place") ? "" : "waiting without position, honest wait or place: " + body;
      case "ADMITTED" -> ticket.path("admission").asText().isEmpty() || !ticket.hasNonNull("place")
          || !ticket.hasNonNull("admissionExpiresAt") ? "admitted without admission or place: " + body : "";
      default -> "";
    };
  }

  void joined(String body, long at) {
    JsonNode ticket = read(body);
    tickets.putIfAbsent(ticket.path("ticket").asText(), new Ticket(at, "PRE_QUEUE".equals(ticket.path("state").asText())));
    seen(body);
  }

  void seen(String body) {
    JsonNode json = read(body);
    Ticket ticket = tickets.get(json.path("ticket").asText());
    if (ticket == null) {
      return;
    }
    if (json.hasNonNull("place")) {
      ticket.place = json.path("place").asLong();
    }
    if (json.hasNonNull("admissionExpiresAt")) {
      ticket.admittedAt = Instant.parse(json.path("admissionExpiresAt").asText()).toEpochMilli() - admissionTtlMs;
    }
  }

  /** Admitted tickets admitted after a ticket with a larger place, over all admitted tickets. */
  double outOfOrderShare() {
    List<Ticket> admitted = new ArrayList<>(tickets.values().stream().filter(t -> t.admittedAt != null && t.place != null).toList());
    if (admitted.isEmpty()) {
      return 0;
    }
    admitted.sort(Comparator.comparingLong(t -> t.place));
    long latestAhead = Long.MIN_VALUE;
    int late = 0;
    for (Ticket ticket : admitted) {
      if (ticket.admittedAt < latestAhead) {
        late++;
      }
      latestAhead = Math.max(latestAhead, ticket.admittedAt);
    }
    return (double) late / admitted.size();
  }

  long admitted() {
    return tickets.values().stream().filter(t -> t.admittedAt != null).count();
  }

  /** Spearman's rank correlation of join time and place over the pre-queue tickets that got a place. */
  double preQueueCorrelation() {
    List<Ticket> placed = tickets.values().stream().filter(t -> t.preQueue && t.place != null).toList();
    return spearman(placed);
  }

  int preQueuePlaced() {
    return (int) tickets.values().stream().filter(t -> t.preQueue && t.place != null).count();
  }

  /** Later joiners placed ahead of some pre-queue ticket (0 expected). */
  long lateAheadOfPreQueue() {
    long lastPre = tickets.values().stream().filter(t -> t.preQueue && t.place != null).mapToLong(t -> t.place).max().orElse(0);
    return tickets.values().stream().filter(t -> !t.preQueue && t.place != null && t.place <= lastPre).count();
  }

  private static double spearman(List<Ticket> placed) {
    int n = placed.size();
    if (n < 3) {
      return 0;
    }
    double[] joinRank = ranks(placed, Comparator.comparingLong(t -> t.joinedAt));
    double[] placeRank = ranks(placed, Comparator.comparingLong(t -> t.place));
    double meanJ = 0;
    double meanP = 0;
    for (int i = 0; i < n; i++) {
      meanJ += joinRank[i] / n;
      meanP += placeRank[i] / n;
    }
    double cov = 0;
    double varJ = 0;
    double varP = 0;
    for (int i = 0; i < n; i++) {
      cov += (joinRank[i] - meanJ) * (placeRank[i] - meanP);
      varJ += (joinRank[i] - meanJ) * (joinRank[i] - meanJ);
      varP += (placeRank[i] - meanP) * (placeRank[i] - meanP);
    }
    return cov / Math.sqrt(varJ * varP);
  }

  /** Rank of each ticket of {@code list} (by its index in it) under {@code order}; ties share their mean rank. */
  private static double[] ranks(List<Ticket> list, Comparator<Ticket> order) {
    Integer[] index = new Integer[list.size()];
    for (int i = 0; i < index.length; i++) {
      index[i] = i;
    }
    java.util.Arrays.sort(index, (a, b) -> order.compare(list.get(a), list.get(b)));
    double[] ranks = new double[list.size()];
    for (int i = 0; i < index.length; ) {
      int j = i;
      while (j + 1 < index.length && order.compare(list.get(index[j + 1]), list.get(index[i])) == 0) {
        j++;
      }
      for (int k = i; k <= j; k++) {
        ranks[index[k]] = (i + j) / 2.0 + 1;
      }
      i = j + 1;
    }
    return ranks;
  }

  private static JsonNode read(String body) {
    try {
      return AvalancheApi.JSON.readTree(body);
    } catch (IOException e) {
      throw new IllegalStateException("not JSON: " + body, e);
    }
  }
}
