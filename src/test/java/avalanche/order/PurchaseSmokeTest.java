package avalanche.order;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

@ExtendWith(VertxExtension.class)
class PurchaseSmokeTest {
  @RegisterExtension static final TestServer server = TestServer.extension();

  @Test
  void reservesThenSaysAlreadyPurchasedThenReadsTheOrder(VertxTestContext test) {
    server
        .createProduct("COMMON", 100, 5)
        .compose(
            productId ->
                server
                    .createUsers(1, 1_000)
                    .compose(
                        users -> {
                          String token = server.token(users.get(0));
                          return server
                              .http()
                              .post("/api/products/" + productId + "/purchase")
                              .bearerTokenAuthentication(token)
                              .send()
                              .compose(
                                  first ->
                                      server
                                          .http()
                                          .post("/api/products/" + productId + "/purchase")
                                          .bearerTokenAuthentication(token)
                                          .send()
                                          .compose(
                                              second ->
                                                  server
                                                      .http()
                                                      .get(first.getHeader("Location"))
                                                      .bearerTokenAuthentication(token)
                                                      .send()
                                                      .map(
                                                          order -> {
                                                            test.verify(
                                                                () -> {
                                                                  assertThat(first.statusCode())
                                                                      .isEqualTo(202);
                                                                  JsonObject body =
                                                                      first.bodyAsJsonObject();
                                                                  assertThat(
                                                                          body.getString("outcome"))
                                                                      .isEqualTo("RESERVED");
                                                                  assertThat(second.statusCode())
                                                                      .isEqualTo(409);
                                                                  assertThat(
                                                                          second
                                                                              .bodyAsJsonObject()
                                                                              .getString("error"))
                                                                      .isEqualTo(
                                                                          "ALREADY_PURCHASED");
                                                                  assertThat(order.statusCode())
                                                                      .isEqualTo(200);
                                                                  assertThat(
                                                                          order
                                                                              .bodyAsJsonObject()
                                                                              .getString("orderId"))
                                                                      .isEqualTo(
                                                                          body.getString(
                                                                              "orderId"));
                                                                });
                                                            return order;
                                                          })));
                        }))
        .onComplete(test.succeedingThenComplete());
  }
}
