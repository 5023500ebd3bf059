package avalanche.load;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;

/**
 * After the drop: a product whose {@code stock} units were all bought in {@code before()} takes purchases at
 * a constant {@code rate} per second for {@code duration} seconds, from {@code users} users in turn (few
 * enough attempts per user to stay under the per-user rate limit). Every answer must be 409 SOLD_OUT, with
 * a p99 under {@code p99Ms}.
 */
public class SoldOutHammerSimulation extends Simulation {
  private final double rate = Settings.decimal("rate", 500);
  private final int duration = Settings.integer("duration", 30);
  private final long stock = Settings.number("stock", 10);
  private final int users = Settings.integer("users", (int) Math.min(20_000, Math.max(1_000, Math.ceil(rate * 2))));
  private final int p99Ms = Settings.integer("p99Ms", 1_000);
  private final boolean shareConnections = Settings.flag("shareConnections", true);

  private final Target target = Target.fromSettings();
  private final Tally tally = new Tally();
  private final Shoppers shoppers = new Shoppers(true);
  private volatile AvalancheApi api;
  private volatile String productId;

  {
    HttpProtocolBuilder protocol = http.baseUrl(target.baseUrl())
        .acceptHeader("application/json")
        .contentTypeHeader("application/json")
        .userAgentHeader("avalanche-gatling");
    if (shareConnections) {
      // An arrival rate of fresh connections would exhaust loopback ports (TIME_WAIT) within a minute.
      protocol = protocol.shareConnections();
    }

    ScenarioBuilder hammer = scenario("sold-out shopper")
        .feed(shoppers)
        .exec(session -> session.set("productId", productId))
        .exec(Shopping.purchaseSoldOut(tally));

    ScenarioBuilder audit = Audit.of(() -> List.of(productId), () -> api.relogin(), (product, body) -> {
      String broken = Invariants.violations(body, stock, 0, stock, 0L);
      long available = Invariants.field(body, "available");
      return available == 0 ? broken : broken + (broken.isEmpty() ? "" : "; ") + "available " + available + " != 0";
    });

    setUp(hammer.injectOpen(constantUsersPerSec(rate).during(Duration.ofSeconds(duration)))
        .andThen(audit.injectOpen(atOnceUsers(1))))
        .protocols(protocol)
        .assertions(
            global().failedRequests().count().is(0L),
            details(Shopping.PURCHASE).responseTime().percentile4().lt(p99Ms));
  }

  @Override
  public void before() {
    System.out.printf("sold-out hammer: %.0f purchases/s for %d s from %d users, against %s%n",
        rate, duration, users, target.baseUrl());
    api = target.start();
    productId = api.createProduct("sold out " + System.currentTimeMillis(), 100, stock, "COMMON");
    List<AvalancheApi.User> provisioned = api.provision((int) stock + users, 1_000);
    for (int i = 0; i < stock; i++) {
      int status = api.purchase(provisioned.get(i), productId);
      if (status != 202) {
        throw new IllegalStateException("selling the product out: purchase " + i + " answered " + status);
      }
    }
    List<Map<String, Object>> records = new ArrayList<>(users);
    for (AvalancheApi.User user : provisioned.subList((int) stock, provisioned.size())) {
      records.add(Map.of("token", user.token()));
    }
    shoppers.fill(records);
  }

  @Override
  public void after() {
    try {
      System.out.println("sold-out hammer on product " + productId + ":\n" + tally.summary());
      if (api != null && productId != null) {
        System.out.println("product stats: " + api.stats(productId));
      }
    } finally {
      target.stop();
    }
  }
}
