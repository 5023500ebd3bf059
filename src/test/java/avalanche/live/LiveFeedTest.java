package avalanche.live;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GET /api/admin/live} against the real servers: admins only, server-sent events about once
 * a second, the same snapshot for every viewer (one publisher), counters equal to the product's
 * stats and rates that add up to the attempts made.
 */
@ExtendWith(VertxExtension.class)
class LiveFeedTest {
  private static final int STOCK = 5;
  private static final int SHOPPERS = 8;
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @Timeout(value = 1, timeUnit = TimeUnit.MINUTES)
  void onlyAdminsWatch(VertxTestContext test) {
    server
        .createUsers(1, 0)
        .compose(
            users ->
                server
                    .http()
                    .get("/api/admin/live")
                    .send()
                    .compose(
                        anonymous ->
                            server
                                .http()
                                .get("/api/admin/live")
                                .bearerTokenAuthentication(server.token(users.get(0)))
                                .send()
                                .map(user -> List.of(anonymous, user))))
        .onComplete(
            test.succeeding(
                answers ->
                    test.verify(
                        () -> {
                          HttpResponse<?> anonymous = answers.get(0);
                          HttpResponse<?> user = answers.get(1);
                          assertThat(anonymous.statusCode()).isEqualTo(401);
                          assertThat(anonymous.bodyAsJsonObject().getString("error"))
                              .isEqualTo("UNAUTHORIZED");
                          assertThat(user.statusCode()).isEqualTo(403);
                          assertThat(user.bodyAsJsonObject().getString("error"))
                              .isEqualTo("FORBIDDEN");
                          test.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 2, timeUnit = TimeUnit.MINUTES)
  void viewersShareOneSnapshotASecondThatAddsUpToTheStats(VertxTestContext test) {
    HttpClient client = server.vertx().createHttpClient();
    List<JsonObject> first = new CopyOnWriteArrayList<>();
    List<JsonObject> second = new CopyOnWriteArrayList<>();
    server
        .adminToken()
        .compose(
            admin ->
                server
                    .createProduct("COMMON", 10, STOCK)
                    .compose(
                        productId ->
                            watch(client, admin, first)
                                .compose(v -> watch(client, admin, second))
                                .compose(v -> server.createUsers(SHOPPERS, 1_000))
                                .compose(users -> buyAll(productId, users))
                                .compose(v -> until(() -> settled(first, productId), first))
                                .compose(
                                    v ->
                                        server
                                            .http()
                                            .get("/api/admin/products/" + productId + "/stats")
                                            .bearerTokenAuthentication(admin)
                                            .send())
                                .map(
                                    stats -> {
                                      check(productId, stats.bodyAsJsonObject(), first, second);
                                      return null;
                                    })))
        .eventually(client::close)
        .onComplete(test.succeedingThenComplete());
  }

  private static void check(
      long productId, JsonObject stats, List<JsonObject> first, List<JsonObject> second) {
    JsonObject last = product(first.get(first.size() - 1), productId);
    // Every shopper has points and an address: every unit won stays taken.
    assertThat(last.getLong("available")).isZero();
    assertThat(last.getLong("reserved") + last.getLong("sold")).isEqualTo(STOCK);
    assertThat(stats.getLong("total")).isEqualTo(STOCK);
    assertThat(last.getString("name")).isEqualTo("test product");
    // The two viewers sit on separate connections, so possibly on separate ingress instances: same
    // snapshots.
    List<String> firstAts = first.stream().map(s -> s.getString("at")).toList();
    List<String> secondAts = second.stream().map(s -> s.getString("at")).toList();
    assertThat(firstAts).containsAll(secondAts.subList(1, secondAts.size() - 1));
    // About once a second.
    for (int i = 1; i < first.size(); i++) {
      long gap =
          Instant.parse(firstAts.get(i)).toEpochMilli()
              - Instant.parse(firstAts.get(i - 1)).toEpochMilli();
      assertThat(gap).isBetween(500L, 3_000L);
    }
    // Rates times the seconds between snapshots add up to the attempts made.
    assertThat(Math.round(sum(first, productId, "RESERVED"))).isEqualTo(STOCK);
    assertThat(Math.round(sum(first, productId, "SOLD_OUT"))).isEqualTo(SHOPPERS - STOCK);
    assertThat(Math.round(sum(first, productId, "LOST"))).isZero();
    assertThat(first.get(first.size() - 1).getValue("sagasOpen")).isInstanceOf(Number.class);
  }

  private static double sum(List<JsonObject> snapshots, long productId, String outcome) {
    double total = 0;
    for (int i = 1; i < snapshots.size(); i++) {
      JsonObject p = product(snapshots.get(i), productId);
      if (p != null) {
        double seconds =
            (Instant.parse(snapshots.get(i).getString("at")).toEpochMilli()
                    - Instant.parse(snapshots.get(i - 1).getString("at")).toEpochMilli())
                / 1000.0;
        total += p.getJsonObject("outcomesPerSecond").getDouble(outcome) * seconds;
      }
    }
    return total;
  }

  private static JsonObject product(JsonObject snapshot, long productId) {
    return snapshot.getJsonArray("products").stream()
        .map(JsonObject.class::cast)
        .filter(p -> p.getString("productId").equals(Long.toString(productId)))
        .findFirst()
        .orElse(null);
  }

  /** True once a snapshot shows every unit taken and the next one shows no more attempts. */
  private static boolean settled(List<JsonObject> snapshots, long productId) {
    int n = snapshots.size();
    if (n < 2) {
      return false;
    }
    JsonObject before = product(snapshots.get(n - 2), productId);
    JsonObject last = product(snapshots.get(n - 1), productId);
    return before != null
        && last != null
        && before.getLong("available") == 0
        && last.getDouble("attemptsPerSecond") == 0;
  }

  private Future<Void> buyAll(long productId, List<Long> users) {
    List<Future<HttpResponse<io.vertx.core.buffer.Buffer>>> purchases = new ArrayList<>();
    for (long user : users) {
      purchases.add(
          server
              .http()
              .post("/api/products/" + productId + "/purchase")
              .bearerTokenAuthentication(server.token(user))
              // An address of the purchase: the test users have none, and an order without one is
              // cancelled, its unit back on sale before a snapshot may have seen it taken.
              .sendJsonObject(new JsonObject().put("shippingAddress", "1 Live Feed Lane")));
    }
    return Future.all(purchases)
        .map(
            all -> {
              List<String> answers =
                  purchases.stream()
                      .map(a -> a.result().statusCode() + " " + a.result().bodyAsString())
                      .toList();
              assertThat(answers.stream().filter(a -> a.startsWith("202")))
                  .as("product " + productId + ": " + answers)
                  .hasSize(STOCK);
              return null;
            });
  }

  /** Opens a stream and collects its snapshots; succeeds once the first arrived. */
  private static Future<Void> watch(HttpClient client, String admin, List<JsonObject> into) {
    Promise<Void> first = Promise.promise();
    StringBuilder pending = new StringBuilder();
    return client
        .request(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setHost("127.0.0.1")
                .setPort(server.app().httpPort())
                .setURI("/api/admin/live")
                .putHeader("Authorization", "Bearer " + admin))
        .compose(request -> request.send())
        .compose(
            (HttpClientResponse response) -> {
              assertThat(response.statusCode()).isEqualTo(200);
              assertThat(response.getHeader("Content-Type")).startsWith("text/event-stream");
              response.handler(
                  chunk -> {
                    pending.append(chunk.toString());
                    int end;
                    while ((end = pending.indexOf("\n\n")) >= 0) {
                      String frame = pending.substring(0, end);
                      pending.delete(0, end + 2);
                      if (frame.startsWith("data: ")) {
                        into.add(new JsonObject(frame.substring(6)));
                        first.tryComplete();
                      }
                    }
                  });
              return first.future();
            });
  }

  private static Future<Void> until(
      java.util.function.BooleanSupplier done, List<JsonObject> seen) {
    Promise<Void> promise = Promise.promise();
    long deadline = System.currentTimeMillis() + 30_000;
    server
        .vertx()
        .setPeriodic(
            100,
            id -> {
              if (done.getAsBoolean()) {
                server.vertx().cancelTimer(id);
                promise.tryComplete();
              } else if (System.currentTimeMillis() > deadline) {
                server.vertx().cancelTimer(id);
                promise.tryFail(
                    "the feed never showed the product settled; last snapshot "
                        + (seen.isEmpty() ? "none" : seen.get(seen.size() - 1).encode()));
              }
            });
    return promise.future();
  }
}
