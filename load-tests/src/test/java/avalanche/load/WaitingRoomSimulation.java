package avalanche.load;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.gatling.javaapi.core.CoreDsl.asLongAsDuring;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.doIf;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

/**
 * A drop behind a waiting room. {@code early} shoppers join the pre-queue during the {@code leadSeconds} before
 * dropAt, {@code late} shoppers join after it; all poll their ticket every {@code pollMs} and buy (with their
 * {@code Admission}) once admitted; every {@code 1/withoutRatio}-th first tries to buy without one. Fails on any
 * answer outside the contract (join 202/409 SOLD_OUT, ticket fields, 403 NOT_ADMITTED without admission, purchase
 * 202/200/409), and in the audit on: a broken product invariant, a decided purchase without admission (the
 * stock's attempts beyond the admitted purchases), any admission out of place order, a later joiner placed ahead
 * of the pre-queue, or a pre-queue order correlated with join time (|Spearman rho| above 4.5 standard errors of a
 * random order, 4.5/sqrt(n-1)). Prints the figures.
 */
public class WaitingRoomSimulation extends Simulation {
  static final String JOIN = "queue join";
  static final String POLL = "queue poll";
  static final String WITHOUT = "purchase without admission";
  static final String ADMITTED_PURCHASE = "purchase with admission";
  private static final long ADMISSION_TTL_MS = 120_000;
  private static final String[] ANY_JOIN = {"PRE_QUEUE", "WAITING", "ADMITTED"};

  private final int early = Settings.integer("early", 300);
  private final int late = Settings.integer("late", 100);
  private final long stock = Settings.number("stock", 200);
  private final long admitPerSecond = Settings.number("admitPerSecond", 40);
  private final int leadSeconds = Settings.integer("leadSeconds", 20);
  private final long price = Settings.number("price", 100);
  private final long points = Settings.number("points", 1_000);
  private final double withoutRatio = Settings.decimal("withoutRatio", 0.2);
  private final Duration pollEvery = Duration.ofMillis(Settings.number("pollMs", 1_000));
  private final Duration orderPollEvery = Duration.ofMillis(Settings.number("orderPollMs", 500));
  private final Duration pollFor = Duration.ofSeconds(Settings.number("pollSeconds", 30));

  private final Target target = Target.fromSettings();
  private final Tally tally = new Tally();
  private final RoomFairness fairness = new RoomFairness(ADMISSION_TTL_MS);
  private final Shoppers earlyShoppers = new Shoppers(false);
  private final Shoppers lateShoppers = new Shoppers(false);
  private volatile AvalancheApi api;
  private volatile String productId;
  private volatile long dropAtMs;

  {
    HttpProtocolBuilder protocol = http.baseUrl(target.baseUrl())
        .acceptHeader("application/json")
        .contentTypeHeader("application/json")
        .userAgentHeader("avalanche-gatling");
    // Time enough for the whole crowd to pass the room at its rate, and for the line to turn SOLD_OUT.
    Duration inLine = Duration.ofSeconds((early + late) / admitPerSecond + 30);

    ScenarioBuilder before = scenario("pre-queue shopper").feed(earlyShoppers)
        .exec(shopper(inLine, "PRE_QUEUE"));
    // The pre-queue fills during the first half of the lead time: a join answered up to a second before dropAt
    // must be PRE_QUEUE, whatever the load; a slower one may have reached the server after dropAt.
    ScenarioBuilder after = scenario("later shopper").feed(lateShoppers)
        .exec(shopper(inLine, "WAITING", "ADMITTED"));
    ScenarioBuilder audit = Audit.of(() -> List.of(productId), () -> api.relogin(), (product, body) -> Invariants.join(
        Invariants.violations(body, stock, tally.cancelled.get(), tally.reserved.get(), tally.lost.get()),
        Invariants.settled(true, tally), roomViolations(body)));

    setUp(
        before.injectOpen(rampUsers(early).during(Duration.ofSeconds(Math.max(1, leadSeconds / 2))))
            .andThen(audit.injectOpen(atOnceUsers(1))),
        after.injectOpen(nothingFor(Duration.ofSeconds(leadSeconds + 1)), rampUsers(late).during(Duration.ofSeconds(5))))
        .protocols(protocol)
        .assertions(global().failedRequests().count().is(0L));
  }

  /** Join, poll until admitted (or sold out), buy with the admission, follow the order. */
  private ChainBuilder shopper(Duration inLine, String... joinStates) {
    Set<String> lineStates = Set.of("PRE_QUEUE", "WAITING");
    return exec(session -> session.set("productId", productId).set("state", "NONE"))
        .doIf(session -> session.getBoolean("without")).then(exec(http(WITHOUT).post("/api/products/#{productId}/purchase")
            .header("Authorization", "Bearer #{token}")
            .check(status().is(403), jsonPath("$.error").is("NOT_ADMITTED")))
            .exec(session -> {
              fairness.notAdmittedRefusals.incrementAndGet();
              return session;
            }))
        .exec(http(JOIN).post("/api/products/#{productId}/queue").header("Authorization", "Bearer #{token}")
            .check(status().in(202, 409).saveAs("joinStatus"))
            .checkIf((response, session) -> response.status().code() == 202).then(
                bodyString().transform(body -> RoomFairness.problem(body, admitPerSecond,
                    System.currentTimeMillis() < dropAtMs - 1_000 ? joinStates : ANY_JOIN)).is(""),
                jsonPath("$.ticket").saveAs("ticket"), jsonPath("$.state").saveAs("state"), bodyString().saveAs("body"))
            .checkIf((response, session) -> response.status().code() == 409).then(jsonPath("$.error").is("SOLD_OUT")))
        .exec(session -> {
          if (session.getInt("joinStatus") == 202) {
            fairness.joined(session.getString("body"), System.currentTimeMillis());
          }
          return session;
        })
        .exec(asLongAsDuring(session -> lineStates.contains(session.getString("state")), inLine).on(
            pause(pollEvery),
            exec(http(POLL).get("/api/products/#{productId}/queue/#{ticket}").header("Authorization", "Bearer #{token}")
                .check(status().is(200), jsonPath("$.ticket").isEL("#{ticket}"),
                    bodyString().transform(body -> RoomFairness.problem(body, admitPerSecond,
                        "PRE_QUEUE", "WAITING", "ADMITTED", "SOLD_OUT")).is(""),
                    jsonPath("$.state").saveAs("state"), jsonPath("$.admission").optional().saveAs("admission"),
                    bodyString().saveAs("body")))
                .exec(session -> {
                  fairness.seen(session.getString("body"));
                  return session;
                })))
        .exec(doIf(session -> "ADMITTED".equals(session.getString("state"))).then(
            exec(session -> {
              fairness.admittedPurchases.incrementAndGet();
              tally.purchaseSent();
              return session.removeAll("status", "error");
            })
                .exec(http(ADMITTED_PURCHASE).post("/api/products/#{productId}/purchase")
                    .header("Authorization", "Bearer #{token}").header("Admission", "#{admission}")
                    .check(status().in(200, 202, 409).saveAs("status"))
                    .checkIf((response, session) -> response.status().code() == 202).then(
                        jsonPath("$.outcome").is("RESERVED"), jsonPath("$.orderId").saveAs("orderId"),
                        io.gatling.javaapi.http.HttpDsl.header("Location").saveAs("location"))
                    .checkIf((response, session) -> response.status().code() == 200).then(jsonPath("$.outcome").is("LOST"))
                    .checkIf((response, session) -> response.status().code() == 409).then(
                        jsonPath("$.error").is("SOLD_OUT").saveAs("error")))
                .exec(session -> {
                  tally.answered(session.contains("status") ? session.getInt("status") : null, session.getString("error"));
                  return session;
                })
                .exec(Shopping.followOrder(tally, orderPollEvery, pollFor))));
  }

  /** The room's own checks, on the stats body; "" when all hold. */
  private String roomViolations(String statsBody) {
    List<String> broken = new ArrayList<>();
    JsonNode stats;
    try {
      stats = AvalancheApi.JSON.readTree(statsBody);
    } catch (IOException e) {
      return "stats are not JSON";
    }
    long attempts = stats.path("attempts").asLong(-1);
    long admittedTotal = stats.path("queue").path("admitted").asLong(-1);
    if (attempts != fairness.admittedPurchases.get() || attempts > admittedTotal) {
      broken.add("attempts decided by the stock " + attempts + " != purchases with an admission "
          + fairness.admittedPurchases.get() + " (admitted " + admittedTotal + ")");
    }
    if (fairness.outOfOrderShare() > 0) {
      broken.add("admissions out of place order: " + fairness.outOfOrderShare());
    }
    if (fairness.lateAheadOfPreQueue() > 0) {
      broken.add(fairness.lateAheadOfPreQueue() + " later joiners placed ahead of the pre-queue");
    }
    int n = fairness.preQueuePlaced();
    double bound = 4.5 / Math.sqrt(Math.max(1, n - 1));
    if (n >= 30 && Math.abs(fairness.preQueueCorrelation()) > bound) {
      broken.add("pre-queue place correlated with join time: rho " + fairness.preQueueCorrelation() + " > " + bound);
    }
    return String.join("; ", broken);
  }

  @Override
  public void before() {
    System.out.printf("waiting room: %d shoppers before dropAt, %d after, %d units, %d admitted/s, against %s%n",
        early, late, stock, admitPerSecond, target.baseUrl());
    api = target.start();
    List<AvalancheApi.User> users = api.provision(early + late, points);
    int every = withoutRatio <= 0 ? Integer.MAX_VALUE : (int) Math.max(1, Math.round(1 / withoutRatio));
    List<Map<String, Object>> first = new ArrayList<>();
    List<Map<String, Object>> second = new ArrayList<>();
    for (int i = 0; i < users.size(); i++) {
      (i < early ? first : second).add(Map.of("token", users.get(i).token(), "without", i % every == 0));
    }
    earlyShoppers.fill(first);
    lateShoppers.fill(second);
    // dropAt counted from now, after the provisioning: the pre-queue has the whole lead time to fill.
    Instant dropAt = Instant.now().plusSeconds(leadSeconds);
    dropAtMs = dropAt.toEpochMilli();
    productId = api.createRoomProduct("room " + System.currentTimeMillis(), price, stock, "COMMON", dropAt, admitPerSecond);
  }

  @Override
  public void after() {
    try {
      System.out.println("waiting room on product " + productId + ":\n" + tally.summary());
      System.out.printf("fairness: %d admitted; out-of-order admissions %.4f (0 expected); pre-queue join time vs place"
              + " Spearman rho %.4f over %d tickets (|rho| < %.3f expected); later joiners ahead of the pre-queue %d;"
              + " purchases without admission refused 403 %d%n",
          fairness.admitted(), fairness.outOfOrderShare(), fairness.preQueueCorrelation(), fairness.preQueuePlaced(),
          4.5 / Math.sqrt(Math.max(1, fairness.preQueuePlaced() - 1)), fairness.lateAheadOfPreQueue(),
          fairness.notAdmittedRefusals.get());
      if (api != null && productId != null) {
        System.out.println("product stats: " + api.stats(productId));
      }
    } finally {
      target.stop();
    }
  }
}
