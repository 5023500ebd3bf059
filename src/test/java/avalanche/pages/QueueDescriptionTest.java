package avalanche.pages;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.App;
import avalanche.TestServer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The waiting room's routes (contract v2) against {@code openapi.yaml}: join, poll, the
 * NOT_ADMITTED refusal and the admitted purchase. They need the waiting room (branch {@code
 * waitroom}); until it is merged this class fails.
 */
class QueueDescriptionTest {
  private static TestServer server;
  private static ApiDescription api;
  private static WebClient http;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    api = new ApiDescription(server.vertx());
    http = server.http();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void joinPollAndBuyWithAnAdmission() throws InterruptedException {
    long productId =
        App.await(
            server.createProduct(
                new JsonObject()
                    .put("name", "queued")
                    .put("price", 10)
                    .put("stock", 5)
                    .put("grade", "COMMON")
                    .put("dropAt", Instant.now().toString())
                    .put("waitingRoom", new JsonObject().put("admitPerSecond", 50))));
    long plain = App.await(server.createProduct("COMMON", 10, 5));
    String token = server.token(App.await(server.createUsers(1, 1_000)).get(0));

    HttpResponse<Buffer> refused =
        api.check(
            "purchase",
            App.await(
                http.post("/api/products/" + productId + "/purchase")
                    .bearerTokenAuthentication(token)
                    .send()));
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.bodyAsJsonObject().getString("error")).isEqualTo("NOT_ADMITTED");

    HttpResponse<Buffer> noRoom =
        api.check(
            "joinQueue",
            App.await(
                http.post("/api/products/" + plain + "/queue")
                    .bearerTokenAuthentication(token)
                    .send()));
    assertThat(noRoom.statusCode()).isEqualTo(404);

    HttpResponse<Buffer> joined =
        api.check(
            "joinQueue",
            App.await(
                http.post("/api/products/" + productId + "/queue")
                    .bearerTokenAuthentication(token)
                    .send()));
    assertThat(joined.statusCode()).as(joined.bodyAsString()).isEqualTo(202);
    String ticket = joined.bodyAsJsonObject().getString("ticket");
    HttpResponse<Buffer> again =
        api.check(
            "joinQueue",
            App.await(
                http.post("/api/products/" + productId + "/queue")
                    .bearerTokenAuthentication(token)
                    .send()));
    assertThat(again.bodyAsJsonObject().getString("ticket")).isEqualTo(ticket);

    HttpResponse<Buffer> unknown =
        api.check(
            "pollQueue",
            App.await(
                http.get("/api/products/" + productId + "/queue/no-such-ticket")
                    .bearerTokenAuthentication(token)
                    .send()));
    assertThat(unknown.statusCode()).isEqualTo(404);

    JsonObject state = null;
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      HttpResponse<Buffer> poll =
          api.check(
              "pollQueue",
              App.await(
                  http.get("/api/products/" + productId + "/queue/" + ticket)
                      .bearerTokenAuthentication(token)
                      .send()));
      assertThat(poll.statusCode()).isEqualTo(200);
      state = poll.bodyAsJsonObject();
      if ("ADMITTED".equals(state.getString("state"))) {
        break;
      }
      Thread.sleep(250);
    }
    assertThat(state.getString("state")).isEqualTo("ADMITTED");
    HttpResponse<Buffer> bought =
        api.check(
            "purchase",
            App.await(
                http.post("/api/products/" + productId + "/purchase")
                    .bearerTokenAuthentication(token)
                    .putHeader("Admission", state.getString("admission"))
                    .send()));
    assertThat(bought.statusCode()).as(bought.bodyAsString()).isEqualTo(202);
  }
}
