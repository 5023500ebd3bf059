package avalanche.order;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import avalanche.stock.StockKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Many shoppers at once over real HTTP: 1,000 users fire 2 attempts each, all concurrently, at a
 * product with 100 units. Exactly the stock is reserved, one order per user at most, and the
 * counters add up.
 */
@ExtendWith(VertxExtension.class)
class StampedeTest {
  private static final int USERS = 1_000;
  private static final int ATTEMPTS_PER_USER = 2;
  private static final int STOCK = 100;

  @RegisterExtension static final TestServer server = TestServer.extension();

  /** One answer of the stampede. */
  private record Attempt(
      long userId, int status, String contentType, JsonObject body, String location) {
    String code() {
      return body.getString(status == 409 ? "error" : "outcome");
    }
  }

  @Test
  @Timeout(value = 3, timeUnit = TimeUnit.MINUTES)
  void commonProductSellsExactlyItsStock(Vertx vertx, VertxTestContext test) {
    stampede(vertx, "COMMON")
        .map(
            run -> {
              Map<Integer, Long> byStatus = run.countByStatus();
              assertThat(run.attempts).hasSize(USERS * ATTEMPTS_PER_USER);
              assertThat(byStatus.getOrDefault(202, 0L)).as("202 RESERVED").isEqualTo(STOCK);
              assertThat(byStatus.keySet()).containsOnly(202, 409);
              assertContractAnswers(run.attempts);
              assertOneOrderPerUser(run);
              assertThat(run.stats.getLong("available")).isZero();
              assertThat(run.stats.getLong("won")).isEqualTo(STOCK);
              assertThat(run.stats.getLong("lost")).isZero();
              assertThat(run.stats.getLong("attempts")).isEqualTo((long) USERS * ATTEMPTS_PER_USER);
              assertThat(
                      run.stats.getLong("soldOutRejections")
                          + run.stats.getLong("alreadyPurchased"))
                  .isEqualTo(byStatus.get(409));
              assertThat(run.buyers.values()).doesNotContain("LOST");
              return run;
            })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  @Timeout(value = 3, timeUnit = TimeUnit.MINUTES)
  void rareProductLosesDrawsAndStillSellsExactlyItsStock(Vertx vertx, VertxTestContext test) {
    stampede(vertx, "RARE")
        .map(
            run -> {
              Map<Integer, Long> byStatus = run.countByStatus();
              long lostAnswers = run.attempts.stream().filter(a -> a.status == 200).count();
              assertThat(run.attempts).hasSize(USERS * ATTEMPTS_PER_USER);
              // With 1,000 users at p = 0.5, fewer than 100 winners before the stock runs out is
              // practically impossible.
              assertThat(byStatus.getOrDefault(202, 0L)).as("202 RESERVED").isEqualTo(STOCK);
              assertThat(lostAnswers).as("200 LOST").isPositive();
              assertThat(byStatus.keySet()).containsOnly(200, 202, 409);
              run.attempts.stream()
                  .filter(a -> a.status == 200)
                  .forEach(
                      a -> assertThat(a.body).isEqualTo(new JsonObject().put("outcome", "LOST")));
              assertContractAnswers(run.attempts);
              assertOneOrderPerUser(run);
              assertThat(run.stats.getLong("available")).isZero();
              assertThat(run.stats.getLong("won")).isEqualTo(STOCK);
              assertThat(run.stats.getLong("lost")).isEqualTo(lostAnswers);
              assertThat(run.stats.getLong("attempts")).isEqualTo((long) USERS * ATTEMPTS_PER_USER);
              // A user who lost holds no order: one attempt per user per product.
              Set<Long> losers = new HashSet<>();
              run.attempts.stream().filter(a -> a.status == 200).forEach(a -> losers.add(a.userId));
              assertThat(losers).hasSize((int) lostAnswers);
              run.attempts.stream()
                  .filter(a -> a.status == 202)
                  .forEach(a -> assertThat(losers).doesNotContain(a.userId));
              assertThat(run.buyers.values().stream().filter("LOST"::equals).count())
                  .isEqualTo(lostAnswers);
              return run;
            })
        .onComplete(test.succeedingThenComplete());
  }

  private record Run(
      long productId, List<Attempt> attempts, JsonObject stats, Map<String, String> buyers) {
    Map<Integer, Long> countByStatus() {
      Map<Integer, Long> counts = new HashMap<>();
      attempts.forEach(a -> counts.merge(a.status, 1L, Long::sum));
      return counts;
    }
  }

  private static Future<Run> stampede(Vertx vertx, String grade) {
    WebClient client =
        WebClient.create(
            vertx,
            new WebClientOptions()
                .setDefaultHost("127.0.0.1")
                .setDefaultPort(server.app().httpPort())
                .setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(USERS).setMaxWaitQueueSize(-1));
    return server
        .createProduct(grade, 1, STOCK)
        .compose(
            productId ->
                server
                    .createUsers(USERS, 1_000_000)
                    .compose(
                        users -> {
                          List<Future<Attempt>> all = new ArrayList<>();
                          long started = System.nanoTime();
                          for (long userId : users) {
                            String token = server.token(userId);
                            for (int i = 0; i < ATTEMPTS_PER_USER; i++) {
                              all.add(
                                  client
                                      .post("/api/products/" + productId + "/purchase")
                                      .bearerTokenAuthentication(token)
                                      // An address of the purchase: the test users have none, and
                                      // an order without one is cancelled, its unit back on sale
                                      // for another 202 if the saga settles it before the
                                      // stampede ends.
                                      .sendJsonObject(
                                          new JsonObject().put("shippingAddress", "1 Stampede Row"))
                                      .map(response -> attempt(userId, response)));
                            }
                          }
                          return Future.all(all)
                              .map(
                                  done -> {
                                    long millis =
                                        Math.max(1, (System.nanoTime() - started) / 1_000_000);
                                    System.out.printf(
                                        "stampede %s: %d attempts in %d ms (%d/s)%n",
                                        grade, all.size(), millis, all.size() * 1000L / millis);
                                    List<Attempt> attempts = new ArrayList<>();
                                    all.forEach(f -> attempts.add(f.result()));
                                    return attempts;
                                  });
                        })
                    .compose(
                        attempts ->
                            server
                                .adminToken()
                                .compose(
                                    admin ->
                                        server
                                            .http()
                                            .get("/api/admin/products/" + productId + "/stats")
                                            .bearerTokenAuthentication(admin)
                                            .send())
                                .compose(
                                    stats ->
                                        buyers(productId)
                                            .map(
                                                buyers -> {
                                                  assertThat(stats.statusCode()).isEqualTo(200);
                                                  return new Run(
                                                      productId,
                                                      attempts,
                                                      stats.bodyAsJsonObject(),
                                                      buyers);
                                                }))))
        .onComplete(done -> client.close());
  }

  private static Attempt attempt(long userId, HttpResponse<Buffer> response) {
    return new Attempt(
        userId,
        response.statusCode(),
        response.getHeader("Content-Type"),
        response.bodyAsJsonObject(),
        response.getHeader("Location"));
  }

  private static Future<Map<String, String>> buyers(long productId) {
    return server
        .redis()
        .send(Request.cmd(Command.HGETALL).arg(StockKeys.buyers(productId)))
        .map(
            r -> {
              Map<String, String> out = new HashMap<>();
              for (String userId : r.getKeys()) {
                out.put(userId, r.get(userId).toString());
              }
              return out;
            });
  }

  private static void assertContractAnswers(List<Attempt> attempts) {
    for (Attempt a : attempts) {
      assertThat(a.status).as("no 5xx").isLessThan(500);
      assertThat(a.contentType).isEqualTo("application/json");
      switch (a.status) {
        case 202 -> {
          assertThat(a.body.getString("outcome")).isEqualTo("RESERVED");
          assertThat(a.body.getString("status")).isEqualTo("PENDING");
          assertThat(a.location).isEqualTo("/api/orders/" + a.body.getString("orderId"));
        }
        case 409 -> {
          assertThat(a.body.fieldNames()).containsExactlyInAnyOrder("error", "message");
          assertThat(a.code()).isIn("SOLD_OUT", "ALREADY_PURCHASED");
        }
        case 200 -> assertThat(a.code()).isEqualTo("LOST");
        default -> throw new AssertionError("unexpected answer " + a);
      }
    }
  }

  /** The 202s name distinct users, and the buyers hash holds exactly those orders, one per user. */
  private static void assertOneOrderPerUser(Run run) {
    Map<String, String> reservedByUser = new HashMap<>();
    for (Attempt a : run.attempts) {
      if (a.status == 202) {
        String previous = reservedByUser.put(Long.toString(a.userId), a.body.getString("orderId"));
        assertThat(previous).as("user " + a.userId + " got two orders").isNull();
      }
    }
    Map<String, String> orders = new HashMap<>(run.buyers);
    orders.values().removeIf("LOST"::equals);
    assertThat(orders).isEqualTo(reservedByUser);
    assertThat(new HashSet<>(orders.values())).hasSize(STOCK);
    long total = run.stats.getLong("total");
    assertThat(total).isEqualTo(STOCK);
    assertThat(
            run.stats.getLong("available")
                + run.stats.getLong("reserved")
                + run.stats.getLong("sold"))
        .as("total == available + reserved + sold")
        .isEqualTo(total);
    assertThat(run.stats.getLong("reserved") + run.stats.getLong("sold")).isEqualTo(STOCK);
  }
}
