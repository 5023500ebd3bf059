package avalanche.waitingroom;

import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.time.Instant;

/**
 * What a shopper sees of a ticket: {@code {ticket, state, position, estimatedWaitSeconds,
 * admission?}}, made from a join or poll script's answer {@code [ticket,
 * LINE|ADMITTED|EXPIRED|SOLD_OUT, detail, admitPerSecond, used, place]}. Beyond the contract:
 * {@code place}, the ticket's place in line once given (fixed; smaller is admitted first; null
 * before the shuffle at dropAt), and {@code admissionExpiresAt} with an admission, so a page can
 * count down and a load test can check that admissions follow place order.
 */
public record TicketView(
    String ticket,
    TicketState state,
    Long position,
    Long estimatedWaitSeconds,
    String admission,
    Long place,
    Long admissionExpiresAt) {

  /**
   * @param admissionTtlMs how long an admission is valid; @param tokens signs the admission of an
   *     ADMITTED ticket
   */
  static TicketView of(
      Response answer,
      long productId,
      long userId,
      long now,
      long admissionTtlMs,
      AdmissionTokens tokens) {
    String ticket = answer.get(0).toString();
    String detail = answer.get(2).toString();
    long rate = answer.get(3).toLong();
    String placed = answer.get(5).toString();
    Long place = placed.isEmpty() ? null : Long.valueOf(placed);
    return switch (answer.get(1).toString()) {
      case "LINE" ->
          detail.isEmpty()
              ? new TicketView(ticket, TicketState.PRE_QUEUE, null, null, null, null, null)
              : waiting(ticket, Long.parseLong(detail), rate, place);
      case "ADMITTED" -> {
        long expiresAt = Long.parseLong(detail) + admissionTtlMs;
        boolean used = "1".equals(answer.get(4).toString());
        // An admission left unused past its validity has expired, even before the admission step
        // records it.
        yield !used && now >= expiresAt
            ? new TicketView(ticket, TicketState.EXPIRED, null, null, null, null, null)
            : new TicketView(
                ticket,
                TicketState.ADMITTED,
                null,
                0L,
                tokens.issue(productId, userId, ticket, expiresAt),
                place,
                expiresAt);
      }
      case "EXPIRED" -> new TicketView(ticket, TicketState.EXPIRED, null, null, null, null, null);
      default -> new TicketView(ticket, TicketState.SOLD_OUT, null, null, null, null, null);
    };
  }

  /**
   * Position p is admitted once p more admission slots have opened, one every 1/admitPerSecond
   * seconds; fewer when tickets ahead expire. So p / admitPerSecond, rounded up, is the honest
   * upper estimate while the line moves.
   */
  static TicketView waiting(String ticket, long position, long admitPerSecond, Long place) {
    long seconds = (position + admitPerSecond - 1) / admitPerSecond;
    return new TicketView(ticket, TicketState.WAITING, position, seconds, null, place, null);
  }

  public JsonObject toJson() {
    JsonObject json =
        new JsonObject()
            .put("ticket", ticket)
            .put("state", state.name())
            .put("position", position)
            .put("estimatedWaitSeconds", estimatedWaitSeconds);
    if (place != null) {
      json.put("place", place);
    }
    if (admission != null) {
      json.put("admission", admission)
          .put("admissionExpiresAt", Instant.ofEpochMilli(admissionExpiresAt).toString());
    }
    return json;
  }
}
