package avalanche.order;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.stock.Reservation;
import avalanche.stock.SoldOutCache;
import avalanche.stock.StockProbe;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A sold-out product is answered from memory (no reserve.lua runs: counted with Redis's own command
 * statistics), still says ALREADY_PURCHASED to a buyer, keeps its statistics exact, and sells again
 * as soon as a unit returns. No relay runs in this class's server (verticles.outboxRelay 0), so the
 * orders stay in the outbox and no saga settles them: the test decides when the unit returns.
 */
@ExtendWith(VertxExtension.class)
class SoldOutRouteTest {
  private static final int HAMMER = 30;

  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject().put("verticles", new JsonObject().put("outboxRelay", 0)));

  @Test
  @Timeout(value = 2, timeUnit = TimeUnit.MINUTES)
  void soldOutIsAnsweredFromMemoryUntilAUnitReturns(VertxTestContext test) {
    server
        .createProduct("COMMON", 10, 1)
        .compose(
            productId -> server.createUsers(HAMMER + 3, 0).compose(users -> run(productId, users)))
        .onComplete(test.succeedingThenComplete());
  }

  private Future<Void> run(long productId, List<Long> users) {
    List<String> tokens = users.stream().map(server::token).toList();
    long holder = users.get(0);
    // With no relay, the order stays in the outbox and no saga settles it: this test decides when
    // the unit returns.
    return reserveDirectly(productId, holder)
        .compose(
            orderId ->
                purchase(productId, tokens.get(1))
                    .compose(
                        first -> {
                          assertThat(first.bodyAsJsonObject().getString("error"))
                              .isEqualTo("SOLD_OUT");
                          return Eventually.until(
                              server.vertx(),
                              5_000,
                              () ->
                                  Future.succeededFuture(
                                      cache().knows(productId, System.currentTimeMillis())));
                        })
                    .compose(
                        armed -> {
                          assertThat(armed).as("the sold-out answer armed the cache").isTrue();
                          return hammer(productId, tokens, holder, orderId);
                        }));
  }

  private Future<Void> hammer(long productId, List<String> tokens, long holder, String orderId) {
    return reserveScriptRuns()
        .compose(
            before ->
                sequentially(tokens.subList(2, 2 + HAMMER), t -> purchase(productId, t))
                    .compose(
                        answers ->
                            purchase(productId, server.token(holder))
                                .compose(
                                    holderAnswer ->
                                        reserveScriptRuns()
                                            .compose(
                                                after -> {
                                                  answers.forEach(
                                                      a ->
                                                          assertThat(
                                                                  a.bodyAsJsonObject()
                                                                      .getString("error"))
                                                              .isEqualTo("SOLD_OUT"));
                                                  assertThat(answers)
                                                      .allSatisfy(
                                                          a ->
                                                              assertThat(a.statusCode())
                                                                  .isEqualTo(409));
                                                  assertThat(
                                                          holderAnswer
                                                              .bodyAsJsonObject()
                                                              .getString("error"))
                                                      .isEqualTo("ALREADY_PURCHASED");
                                                  assertThat(after - before)
                                                      .as("reserve.lua runs while sold out")
                                                      .isZero();
                                                  return stats(productId);
                                                })))
                    .compose(
                        stats -> {
                          assertThat(stats.getLong("attempts")).isEqualTo(2L + HAMMER + 1);
                          assertThat(stats.getLong("soldOutRejections")).isEqualTo(1L + HAMMER);
                          assertThat(stats.getLong("alreadyPurchased")).isEqualTo(1L);
                          return release(orderId);
                        })
                    .compose(
                        released ->
                            Eventually.until(
                                server.vertx(),
                                2_000,
                                () ->
                                    Future.succeededFuture(
                                        !cache().knows(productId, System.currentTimeMillis()))))
                    .compose(
                        forgotten -> {
                          assertThat(forgotten)
                              .as("the return reached the cache within 2 s")
                              .isTrue();
                          return purchase(productId, tokens.get(2 + HAMMER));
                        })
                    .map(
                        afterReturn -> {
                          assertThat(afterReturn.statusCode())
                              .as(afterReturn.bodyAsString())
                              .isEqualTo(202);
                          return null;
                        }));
  }

  private static SoldOutCache cache() {
    return SoldOutCache.of(server.vertx());
  }

  private static Future<String> reserveDirectly(long productId, long userId) {
    String orderId = OrderIds.next(productId);
    return StockProbe.attempt(server.stock(), productId, userId, orderId, 0.0, null)
        .map(
            reservation -> {
              assertThat(reservation.outcome()).isEqualTo(Reservation.Outcome.RESERVED);
              return orderId;
            });
  }

  private static Future<Void> release(String orderId) {
    return server
        .stock()
        .release(orderId)
        .map(
            released -> {
              assertThat(released.getString("result")).isEqualTo("RELEASED");
              return null;
            });
  }

  private static Future<HttpResponse<Buffer>> purchase(long productId, String token) {
    return server
        .http()
        .post("/api/products/" + productId + "/purchase")
        .bearerTokenAuthentication(token)
        .send();
  }

  private static Future<JsonObject> stats(long productId) {
    return server
        .adminToken()
        .compose(
            admin ->
                server
                    .http()
                    .get("/api/admin/products/" + productId + "/stats")
                    .bearerTokenAuthentication(admin)
                    .send())
        .map(HttpResponse::bodyAsJsonObject);
  }

  /** HEXISTS is called by reserve.lua only, so Redis's count of it counts the script's runs. */
  private static Future<Long> reserveScriptRuns() {
    return server
        .redis()
        .send(Request.cmd(Command.INFO).arg("commandstats"))
        .map(
            info -> {
              Matcher m = Pattern.compile("cmdstat_hexists:calls=(\\d+)").matcher(info.toString());
              return m.find() ? Long.parseLong(m.group(1)) : 0L;
            });
  }

  private static Future<List<HttpResponse<Buffer>>> sequentially(
      List<String> tokens, java.util.function.Function<String, Future<HttpResponse<Buffer>>> call) {
    Future<List<HttpResponse<Buffer>>> chain = Future.succeededFuture(new ArrayList<>());
    for (String token : tokens) {
      chain =
          chain.compose(
              done ->
                  call.apply(token)
                      .map(
                          r -> {
                            done.add(r);
                            return done;
                          }));
    }
    return chain;
  }
}
