package avalanche.infra;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code /health}, {@code /ready} and {@code /metrics} of a running server. */
@ExtendWith(VertxExtension.class)
class OpsRoutesTest {
  // RARE never wins here, so a LOST outcome can be produced on purpose.
  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject()
              .put(
                  "drop",
                  new JsonObject()
                      .put(
                          "winProbability",
                          new JsonObject()
                              .put("COMMON", 1.0)
                              .put("RARE", 0.0)
                              .put("LEGENDARY", 0.1))));

  @Test
  void healthIsUp(VertxTestContext test) {
    server
        .http()
        .get("/health")
        .send()
        .map(
            r -> {
              assertThat(r.statusCode()).isEqualTo(200);
              assertThat(r.getHeader("Content-Type")).isEqualTo("application/json");
              assertThat(r.bodyAsJsonObject()).isEqualTo(new JsonObject().put("status", "UP"));
              return r;
            })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void readyChecksRedisPostgresAndKafka(VertxTestContext test) {
    server
        .http()
        .get("/ready")
        .send()
        .map(
            r -> {
              assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
              assertThat(r.bodyAsJsonObject().getJsonObject("checks"))
                  .isEqualTo(
                      new JsonObject().put("redis", "UP").put("postgres", "UP").put("kafka", "UP"));
              return r;
            })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void metricsCountRequestsPerRouteAndDropOutcomes(VertxTestContext test) {
    server
        .createProduct("COMMON", 10, 1)
        .compose(
            common ->
                server
                    .createProduct("RARE", 10, 1)
                    .compose(
                        rare ->
                            server
                                .createUsers(3, 0)
                                .compose(
                                    users -> {
                                      String a = server.token(users.get(0));
                                      String b = server.token(users.get(1));
                                      String c = server.token(users.get(2));
                                      return purchase(common, a)
                                          .map(r -> expectStatus(r, 202))
                                          .compose(x -> purchase(common, b))
                                          .map(r -> expectStatus(r, 409)) // SOLD_OUT
                                          .compose(x -> purchase(common, a))
                                          .map(r -> expectStatus(r, 409)) // ALREADY_PURCHASED
                                          .compose(x -> purchase(rare, c))
                                          .map(r -> expectStatus(r, 200)); // LOST
                                    })))
        .compose(x -> server.http().get("/metrics").send())
        .map(
            r -> {
              assertThat(r.statusCode()).isEqualTo(200);
              assertThat(r.getHeader("Content-Type")).startsWith("text/plain");
              String text = r.bodyAsString();
              assertThat(counter(text, "avalanche_drop_attempts_total", "outcome=\"ALL\""))
                  .isEqualTo(4);
              assertThat(counter(text, "avalanche_drop_attempts_total", "outcome=\"RESERVED\""))
                  .isEqualTo(1);
              assertThat(counter(text, "avalanche_drop_attempts_total", "outcome=\"SOLD_OUT\""))
                  .isEqualTo(1);
              assertThat(counter(text, "avalanche_drop_attempts_total", "outcome=\"LOST\""))
                  .isEqualTo(1);
              assertThat(counter(text, "avalanche_drop_attempts_total", "outcome=\"REJECTED\""))
                  .isEqualTo(1);
              assertThat(
                      counter(
                          text,
                          "vertx_http_server_requests_total",
                          "route=\"/api/products/:productId/purchase\"",
                          "code=\"202\""))
                  .isEqualTo(1);
              assertThat(
                      counter(
                          text,
                          "vertx_http_server_requests_total",
                          "route=\"/api/products/:productId/purchase\"",
                          "code=\"409\""))
                  .isEqualTo(2);
              assertThat(text)
                  .containsPattern(
                      "vertx_http_server_response_time_seconds_count\\{[^}]*route=\"/api/products/:productId/purchase\"");
              assertThat(text).contains("avalanche_purchase_time_seconds_count");
              Matcher p99 =
                  Pattern.compile("(?m)^avalanche_purchase_time_p99_seconds(\\{[^}]*})? (\\S+)$")
                      .matcher(text);
              assertThat(p99.find()).as("avalanche_purchase_time_p99_seconds in\n" + text).isTrue();
              assertThat(Double.parseDouble(p99.group(2)))
                  .as("the p99 of the purchases just answered")
                  .isPositive();
              return r;
            })
        .onComplete(test.succeedingThenComplete());
  }

  private static Future<HttpResponse<Buffer>> purchase(long productId, String token) {
    return server
        .http()
        .post("/api/products/" + productId + "/purchase")
        .bearerTokenAuthentication(token)
        .send();
  }

  private static HttpResponse<Buffer> expectStatus(HttpResponse<Buffer> r, int status) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    return r;
  }

  /** The value of the one sample of {@code name} whose labels contain all of {@code labels}. */
  private static double counter(String text, String name, String... labels) {
    Matcher m = Pattern.compile("(?m)^" + name + "\\{([^}]*)} (\\S+)$").matcher(text);
    Double found = null;
    while (m.find()) {
      boolean all = true;
      for (String label : labels) {
        all &= m.group(1).contains(label);
      }
      if (all) {
        assertThat(found).as("one sample of " + name + " " + String.join(",", labels)).isNull();
        found = Double.parseDouble(m.group(2));
      }
    }
    assertThat(found).as(name + " " + String.join(",", labels) + " in\n" + text).isNotNull();
    return found;
  }
}
