package avalanche.auth;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Login and reset limits per email and per client address. Each case calls from its own loopback
 * address (127.0.0.x), since the counters live in the Redis that every test class shares.
 */
@ExtendWith(VertxExtension.class)
class RateLimitTest {
  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject()
              .put(
                  "auth",
                  new JsonObject()
                      .put(
                          "limits",
                          new JsonObject()
                              .put(
                                  "login",
                                  new JsonObject()
                                      .put("perEmail", 3)
                                      .put("perAddress", 5)
                                      .put("windowSeconds", 60))
                              .put(
                                  "reset",
                                  new JsonObject()
                                      .put("perEmail", 2)
                                      .put("perAddress", 4)
                                      .put("windowSeconds", 600)))));

  @Test
  void loginIsLimitedPerEmailEvenWithTheRightPassword(VertxTestContext test) {
    WebClient from = clientFrom("127.0.0.21");
    AuthFlows.verifiedAccount(server, "right password")
        .compose(
            email ->
                sequentially(4, () -> AuthFlows.login(from, email, "wrong password", "web"))
                    .compose(
                        wrong ->
                            AuthFlows.login(from, email, "right password", "web")
                                .map(
                                    right -> {
                                      test.verify(
                                          () -> {
                                            assertThat(codes(wrong))
                                                .containsExactly(401, 401, 401, 429);
                                            assertLimited(wrong.get(3), 60);
                                            assertLimited(right, 60);
                                          });
                                      return right;
                                    })))
        // Another address and another email are not held back by it.
        .compose(
            done ->
                AuthFlows.login(
                    clientFrom("127.0.0.22"), AuthFlows.freshEmail(), "whatever1", "web"))
        .onComplete(
            test.succeeding(
                other ->
                    test.verify(
                        () -> {
                          assertThat(other.statusCode()).isEqualTo(401);
                          from.close();
                          test.completeNow();
                        })));
  }

  @Test
  void loginIsLimitedPerClientAddressAcrossEmails(VertxTestContext test) {
    WebClient from = clientFrom("127.0.0.23");
    sequentially(6, () -> AuthFlows.login(from, AuthFlows.freshEmail(), "any password", "web"))
        .onComplete(
            test.succeeding(
                answers ->
                    test.verify(
                        () -> {
                          assertThat(codes(answers)).containsExactly(401, 401, 401, 401, 401, 429);
                          assertLimited(answers.get(5), 60);
                          from.close();
                          test.completeNow();
                        })));
  }

  @Test
  void resetIsLimitedPerEmailAndPerAddressForUnknownEmailsToo(VertxTestContext test) {
    WebClient from = clientFrom("127.0.0.24");
    String email = AuthFlows.freshEmail();
    sequentially(3, () -> reset(from, email))
        .compose(
            perEmail ->
                sequentially(2, () -> reset(from, AuthFlows.freshEmail()))
                    .map(
                        perAddress -> {
                          test.verify(
                              () -> {
                                assertThat(codes(perEmail)).containsExactly(202, 202, 429);
                                assertLimited(perEmail.get(2), 600);
                                assertThat(codes(perAddress))
                                    .as("4 per address: the 5th call")
                                    .containsExactly(202, 429);
                              });
                          return perAddress;
                        }))
        .onComplete(
            test.succeeding(
                done -> {
                  from.close();
                  test.completeNow();
                }));
  }

  private static void assertLimited(HttpResponse<Buffer> r, int windowSeconds) {
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.bodyAsJsonObject().getString("error")).isEqualTo("RATE_LIMITED");
    assertThat(Long.parseLong(r.getHeader("Retry-After"))).isBetween(1L, (long) windowSeconds);
  }

  private static WebClient clientFrom(String localAddress) {
    return WebClient.create(
        server.vertx(),
        new WebClientOptions()
            .setDefaultHost("127.0.0.1")
            .setDefaultPort(server.app().httpPort())
            .setLocalAddress(localAddress));
  }

  private static Future<HttpResponse<Buffer>> reset(WebClient from, String email) {
    return from.post("/api/auth/password/reset")
        .sendJsonObject(new JsonObject().put("email", email));
  }

  private static List<Integer> codes(List<HttpResponse<Buffer>> answers) {
    return answers.stream().map(HttpResponse::statusCode).toList();
  }

  private static Future<List<HttpResponse<Buffer>>> sequentially(
      int times, Supplier<Future<HttpResponse<Buffer>>> call) {
    Future<List<HttpResponse<Buffer>>> chain = Future.succeededFuture(new ArrayList<>());
    for (int i = 0; i < times; i++) {
      chain =
          chain.compose(
              done ->
                  call.get()
                      .map(
                          r -> {
                            done.add(r);
                            return done;
                          }));
    }
    return chain;
  }
}
