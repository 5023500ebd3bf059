package avalanche.load;

import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.core.CoreDsl.stressPeakUsers;
import static io.gatling.javaapi.http.HttpDsl.http;

/**
 * A drop: {@code users} shoppers arrive at once (or as a stress peak over {@code spikeSeconds}) on one
 * product with {@code stock} units; each buys once, every {@code 1/twiceRatio}-th buys a second time, and
 * every winner follows its order until it settles. Fails on any 5xx or unexpected answer, on a purchase
 * p99 over {@code p99Ms}, on a broken product invariant, and, with {@code requireSettled}, on an order still
 * PENDING after {@code pollSeconds}.
 */
public class DropStampedeSimulation extends Simulation {
  private final int users = Settings.integer("users", 10_000);
  private final long stock = Settings.number("stock", 1_000);
  private final String grade = Settings.text("grade", "COMMON");
  private final long price = Settings.number("price", 100);
  private final long points = Settings.number("points", 1_000);
  private final double twiceRatio = Settings.decimal("twiceRatio", 0.1);
  private final int spikeSeconds = Settings.integer("spikeSeconds", 0);
  private final int p99Ms = Settings.integer("p99Ms", 5_000);
  private final Duration pollEvery = Duration.ofMillis(Settings.number("pollMs", 1_000));
  private final Duration pollFor = Duration.ofSeconds(Settings.number("pollSeconds", 30));
  private final boolean requireSettled = Settings.flag("requireSettled", true);

  private final Target target = Target.fromSettings();
  private final Tally tally = new Tally();
  private final Shoppers shoppers = new Shoppers(false);
  private volatile AvalancheApi api;
  private volatile String productId;

  {
    HttpProtocolBuilder protocol = http.baseUrl(target.baseUrl())
        .acceptHeader("application/json")
        .contentTypeHeader("application/json")
        .userAgentHeader("avalanche-gatling");

    ScenarioBuilder shopper = scenario("shopper")
        .feed(shoppers)
        .exec(session -> session.set("productId", productId))
        .exec(Shopping.purchase(tally))
        .doIf(session -> session.getBoolean("twice")).then(Shopping.purchaseAgain(tally))
        .exec(Shopping.followOrder(tally, pollEvery, pollFor));

    ScenarioBuilder audit = Audit.of(() -> List.of(productId), () -> api.relogin(),
        (product, body) -> Invariants.join(
            Invariants.violations(body, stock, tally.cancelled.get(), tally.reserved.get(), tally.lost.get()),
            Invariants.settled(requireSettled, tally)));

    OpenInjectionStep spike = spikeSeconds <= 0
        ? atOnceUsers(users)
        : stressPeakUsers(users).during(Duration.ofSeconds(spikeSeconds));
    setUp(shopper.injectOpen(spike).andThen(audit.injectOpen(atOnceUsers(1))))
        .protocols(protocol)
        .assertions(
            global().failedRequests().count().is(0L),
            details(Shopping.PURCHASE).responseTime().percentile4().lt(p99Ms));
  }

  @Override
  public void before() {
    System.out.printf("drop stampede: %d shoppers on %d units (%s), %.0f%% buy twice, against %s%n",
        users, stock, grade, twiceRatio * 100, target.baseUrl());
    api = target.start();
    productId = api.createProduct("stampede " + System.currentTimeMillis(), price, stock, grade);
    int every = twiceRatio <= 0 ? Integer.MAX_VALUE : (int) Math.max(1, Math.round(1 / twiceRatio));
    List<Map<String, Object>> records = new ArrayList<>(users);
    long started = System.nanoTime();
    List<AvalancheApi.User> provisioned = api.provision(users, points);
    System.out.printf("provisioned %d users in %d ms%n", users, (System.nanoTime() - started) / 1_000_000);
    for (int i = 0; i < provisioned.size(); i++) {
      records.add(Map.of("token", provisioned.get(i).token(), "twice", i % every == 0));
    }
    shoppers.fill(records);
  }

  @Override
  public void after() {
    try {
      System.out.println("drop stampede on product " + productId + ":\n" + tally.summary());
      if (api != null && productId != null) {
        System.out.println("product stats: " + api.stats(productId));
      }
    } finally {
      target.stop();
    }
  }
}
