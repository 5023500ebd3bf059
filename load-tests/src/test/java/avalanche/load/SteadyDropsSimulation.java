package avalanche.load;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;

/**
 * Sustained drops: {@code products} products, shoppers arriving at a constant {@code rate} per second for
 * {@code duration} seconds, each a fresh user buying one product (in turn) once and following the order
 * every {@code pollMs} until it settles. Reports orders settled per second and 202-to-terminal times (the
 * group "202 to terminal"); with {@code requireSettled} every order must settle within {@code pollSeconds}.
 */
public class SteadyDropsSimulation extends Simulation {
  private final double rate = Settings.decimal("rate", 200);
  private final int duration = Settings.integer("duration", 60);
  private final int products = Settings.integer("products", 20);
  private final int users = Settings.integer("users", (int) Math.ceil(rate * duration));
  private final long stock = Settings.number("stock", (users + products - 1) / products);
  private final String grade = Settings.text("grade", "COMMON");
  private final long points = Settings.number("points", 1_000);
  private final int p99Ms = Settings.integer("p99Ms", 2_000);
  private final Duration pollEvery = Duration.ofMillis(Settings.number("pollMs", 250));
  private final Duration pollFor = Duration.ofSeconds(Settings.number("pollSeconds", 30));
  private final boolean requireSettled = Settings.flag("requireSettled", true);
  private final boolean shareConnections = Settings.flag("shareConnections", true);

  private final Target target = Target.fromSettings();
  private final Tally tally = new Tally();
  private final Shoppers shoppers = new Shoppers(false);
  private volatile List<String> productIds = List.of();
  private volatile AvalancheApi api;

  {
    HttpProtocolBuilder protocol = http.baseUrl(target.baseUrl())
        .acceptHeader("application/json")
        .contentTypeHeader("application/json")
        .userAgentHeader("avalanche-gatling");
    if (shareConnections) {
      // An arrival rate of fresh connections would exhaust loopback ports (TIME_WAIT) within a minute.
      protocol = protocol.shareConnections();
    }

    ScenarioBuilder shopper = scenario("steady shopper")
        .feed(shoppers)
        .exec(Shopping.purchase(tally))
        .exec(Shopping.followOrder(tally, pollEvery, pollFor));

    ScenarioBuilder audit = Audit.of(() -> productIds, () -> api.relogin(),
        (product, body) -> Invariants.join(
            Invariants.violations(body, stock, tally.cancelled.get(), null, null),
            Invariants.settled(requireSettled, tally)));

    setUp(shopper.injectOpen(constantUsersPerSec(rate).during(Duration.ofSeconds(duration)))
        .andThen(audit.injectOpen(atOnceUsers(1))))
        .protocols(protocol)
        .assertions(
            global().failedRequests().count().is(0L),
            details(Shopping.PURCHASE).responseTime().percentile4().lt(p99Ms));
  }

  @Override
  public void before() {
    if (users < Math.ceil(rate * duration)) {
      throw new IllegalArgumentException("-Dusers must be at least rate x duration = " + (long) Math.ceil(rate * duration));
    }
    System.out.printf(Locale.ROOT, "steady drops: %.0f shoppers/s for %d s on %d products of %d units, against %s%n",
        rate, duration, products, stock, target.baseUrl());
    api = target.start();
    List<String> created = new ArrayList<>();
    for (int i = 0; i < products; i++) {
      created.add(api.createProduct("steady " + i, 100, stock, grade));
    }
    productIds = List.copyOf(created);
    List<AvalancheApi.User> provisioned = api.provision(users, points);
    List<Map<String, Object>> records = new ArrayList<>(users);
    for (int i = 0; i < provisioned.size(); i++) {
      records.add(Map.of("token", provisioned.get(i).token(), "productId", productIds.get(i % products)));
    }
    shoppers.fill(records);
  }

  @Override
  public void after() {
    try {
      System.out.println("steady drops over " + products + " products:\n" + tally.summary());
    } finally {
      target.stop();
    }
  }
}
