package avalanche.load;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.http.HttpRequestActionBuilder;

import java.time.Duration;

import static io.gatling.javaapi.core.CoreDsl.asLongAsDuring;
import static io.gatling.javaapi.core.CoreDsl.doIf;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.group;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

/**
 * A shopper's steps, checked against the contract: purchase (202 RESERVED with its Location, 200 LOST, or
 * 409 SOLD_OUT / ALREADY_PURCHASED), and the order followed until COMPLETED or CANCELLED. Sessions carry
 * {@code token} and {@code productId}.
 */
final class Shopping {
  static final String PURCHASE = "purchase";
  static final String PURCHASE_AGAIN = "purchase again";
  static final String ORDER = "order";
  static final String SETTLE_GROUP = "202 to terminal";

  private Shopping() {}

  /** A first attempt: a fresh user cannot be ALREADY_PURCHASED. */
  static ChainBuilder purchase(Tally tally) {
    return attempt(tally, request(PURCHASE, "SOLD_OUT"));
  }

  /**
   * A second attempt by the same user. After a 202 or a 200 it must be 409 ALREADY_PURCHASED; after a
   * SOLD_OUT anything a first attempt may get (a cancelled order can have put a unit back).
   */
  static ChainBuilder purchaseAgain(Tally tally) {
    return exec(session -> session.set("firstStatus", session.contains("status") ? session.getInt("status") : 0))
        .exec(attempt(tally, request(PURCHASE_AGAIN, "SOLD_OUT", "ALREADY_PURCHASED")
            .checkIf(Shopping::firstWasDecided).then(status().is(409), jsonPath("$.error").is("ALREADY_PURCHASED"))));
  }

  /** A purchase whose only acceptable answer is 409 SOLD_OUT (the sold-out hammer). */
  static ChainBuilder purchaseSoldOut(Tally tally) {
    return attempt(tally, http(PURCHASE).post("/api/products/#{productId}/purchase")
        .header("Authorization", "Bearer #{token}")
        .check(status().is(409).saveAs("status"), jsonPath("$.error").is("SOLD_OUT").saveAs("error")));
  }

  private static boolean firstWasDecided(Session session) {
    int first = session.getInt("firstStatus");
    return first == 202 || first == 200;
  }

  private static HttpRequestActionBuilder request(String name, String... conflicts) {
    return http(name).post("/api/products/#{productId}/purchase")
        .header("Authorization", "Bearer #{token}")
        .check(status().in(200, 202, 409).saveAs("status"))
        .checkIf((response, session) -> response.status().code() == 202).then(
            jsonPath("$.outcome").is("RESERVED"),
            jsonPath("$.status").is("PENDING"),
            jsonPath("$.orderId").saveAs("orderId"),
            // Checks of one response do not see each other's saves: the order GET at this Location
            // verifies that it names the same orderId.
            header("Location").transform(location -> location.startsWith("/api/orders/")).is(true),
            header("Location").saveAs("location"))
        .checkIf((response, session) -> response.status().code() == 200).then(jsonPath("$.outcome").is("LOST"))
        .checkIf((response, session) -> response.status().code() == 409).then(
            jsonPath("$.error").in(conflicts).saveAs("error"));
  }

  private static ChainBuilder attempt(Tally tally, HttpRequestActionBuilder request) {
    return exec(session -> {
      tally.purchaseSent();
      return session.removeAll("status", "error");
    })
        .exec(request)
        .exec(session -> {
          tally.answered(session.contains("status") ? session.getInt("status") : null, session.getString("error"));
          return session;
        });
  }

  /**
   * After a 202: GET the order (by its Location) every {@code interval} until it is COMPLETED or CANCELLED,
   * for at most {@code max}, as the seed's client does. The group's duration is the 202-to-terminal time.
   */
  static ChainBuilder followOrder(Tally tally, Duration interval, Duration max) {
    return doIf(session -> session.contains("location")).then(
        exec(session -> session.set("orderStatus", "PENDING").set("reservedAt", System.currentTimeMillis()))
            .group(SETTLE_GROUP).on(
                asLongAsDuring(session -> "PENDING".equals(session.getString("orderStatus")), max).on(
                    pause(interval),
                    exec(http(ORDER).get("#{location}").header("Authorization", "Bearer #{token}")
                        .check(status().is(200),
                            jsonPath("$.orderId").isEL("#{orderId}"),
                            jsonPath("$.status").in("PENDING", "COMPLETED", "CANCELLED").saveAs("orderStatus")))))
            .exec(session -> {
              tally.followed(session.getString("orderStatus"), System.currentTimeMillis() - session.getLong("reservedAt"));
              return session;
            }));
  }
}
