package avalanche.pages;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.App;
import avalanche.TestServer;
import avalanche.auth.AuthFlows;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Every route of the contract that this server has, called for real (successes and the documented
 * failures), each answer validated against the served {@code openapi.yaml}; the last test fails
 * when an operation of the description went unchecked, so description and server cannot drift
 * apart. The waiting room's routes are checked in {@link QueueDescriptionTest}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApiDescriptionTest {
  /** Checked by {@link QueueDescriptionTest} (they need the waiting room). */
  static final Set<String> QUEUE_OPERATIONS = Set.of("joinQueue", "pollQueue");

  private static final String PASSWORD = "correct-horse-9";
  private static TestServer server;
  private static ApiDescription api;
  private static WebClient http;
  private static String admin;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    api = new ApiDescription(server.vertx());
    http = server.http();
    admin = App.await(server.adminToken());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static HttpResponse<Buffer> send(HttpRequest<Buffer> request) {
    return App.await(request.send());
  }

  private static HttpResponse<Buffer> send(HttpRequest<Buffer> request, JsonObject body) {
    return App.await(request.sendJsonObject(body));
  }

  private static void expect(HttpResponse<Buffer> response, int status, String error) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    if (error != null) {
      assertThat(response.bodyAsJsonObject().getString("error")).isEqualTo(error);
    }
  }

  @Test
  @Order(1)
  void accounts() {
    String email = AuthFlows.freshEmail();
    JsonObject signup = AuthFlows.signupBody(email, PASSWORD);
    expect(api.check("signup", send(http.post("/api/auth/signup"), signup)), 201, null);
    expect(api.check("signup", send(http.post("/api/auth/signup"), signup)), 409, "EMAIL_TAKEN");
    expect(
        api.check(
            "signup",
            App.await(
                http.post("/api/auth/signup")
                    .putHeader("Content-Type", "application/json")
                    .sendBuffer(Buffer.buffer("{not json")))),
        400,
        "VALIDATION_FAILED");
    JsonObject login =
        new JsonObject().put("email", email).put("password", PASSWORD).put("clientId", "docs");
    expect(
        api.check("login", send(http.post("/api/auth/login"), login)), 403, "EMAIL_NOT_VERIFIED");
    expect(
        api.check(
            "resendVerification",
            send(http.post("/api/auth/verify/resend"), new JsonObject().put("email", email))),
        202,
        null);
    expect(
        api.check(
            "verify", send(http.get("/api/auth/verify").addQueryParam("token", "no-such-token"))),
        400,
        "INVALID_TOKEN");
    String token =
        AuthFlows.token(AuthFlows.link(App.await(AuthFlows.mail(server.vertx(), email, 1))));
    expect(
        api.check("verify", send(http.get("/api/auth/verify").addQueryParam("token", token))),
        200,
        null);
    expect(
        api.check(
            "login",
            send(http.post("/api/auth/login"), login.copy().put("password", "wrong-password"))),
        401,
        "INVALID_CREDENTIALS");
    JsonObject pair =
        api.check("login", send(http.post("/api/auth/login"), login)).bodyAsJsonObject();
    String access = pair.getString("accessToken");
    expect(
        api.check("me", send(http.get("/api/users/me").bearerTokenAuthentication(access))),
        200,
        null);
    expect(api.check("me", send(http.get("/api/users/me"))), 401, "UNAUTHORIZED");
    JsonObject refreshed =
        api.check(
                "refresh",
                send(
                    http.post("/api/auth/refresh"),
                    new JsonObject().put("refreshToken", pair.getString("refreshToken"))))
            .bodyAsJsonObject();
    expect(
        api.check(
            "refresh",
            send(
                http.post("/api/auth/refresh"),
                new JsonObject().put("refreshToken", pair.getString("refreshToken")))),
        401,
        "INVALID_TOKEN");
    // Reusing the dead refresh token ended that device's session: another device logs out.
    assertThat(refreshed.getString("refreshToken")).isNotEqualTo(pair.getString("refreshToken"));
    String other =
        send(http.post("/api/auth/login"), login.copy().put("clientId", "docs-2"))
            .bodyAsJsonObject()
            .getString("accessToken");
    expect(
        api.check("logout", send(http.post("/api/auth/logout").bearerTokenAuthentication(other))),
        204,
        null);
    expect(
        api.check("logout", send(http.post("/api/auth/logout").addQueryParam("all", "true"))),
        401,
        "UNAUTHORIZED");
    expect(
        api.check(
            "passwordReset",
            send(http.post("/api/auth/password/reset"), new JsonObject().put("email", email))),
        202,
        null);
    expect(
        api.check(
            "passwordResetConfirm",
            send(
                http.post("/api/auth/password/reset/confirm"),
                new JsonObject()
                    .put("token", "no-such-token")
                    .put("newPassword", "another-pass-1"))),
        400,
        "INVALID_TOKEN");
  }

  @Test
  @Order(2)
  void catalogueAndAdmin() {
    long user = App.await(server.createUsers(1, 0)).get(0);
    String userToken = server.token(user);
    JsonObject product =
        new JsonObject()
            .put("name", "Described")
            .put("price", 10)
            .put("stock", 3)
            .put("grade", "COMMON");
    HttpResponse<Buffer> created =
        api.check(
            "createProduct",
            send(http.post("/api/admin/products").bearerTokenAuthentication(admin), product));
    expect(created, 201, null);
    String productId = created.bodyAsJsonObject().getString("productId");
    expect(
        api.check(
            "createProduct",
            send(
                http.post("/api/admin/products").bearerTokenAuthentication(admin),
                product.copy().put("stock", -1))),
        400,
        "VALIDATION_FAILED");
    expect(
        api.check("createProduct", send(http.post("/api/admin/products"), product)),
        401,
        "UNAUTHORIZED");
    expect(
        api.check(
            "createProduct",
            send(http.post("/api/admin/products").bearerTokenAuthentication(userToken), product)),
        403,
        "FORBIDDEN");
    expect(api.check("listProducts", send(http.get("/api/products"))), 200, null);
    expect(api.check("getProduct", send(http.get("/api/products/" + productId))), 200, null);
    expect(api.check("getProduct", send(http.get("/api/products/999999999"))), 404, "NOT_FOUND");
    expect(
        api.check(
            "productStats",
            send(
                http.get("/api/admin/products/" + productId + "/stats")
                    .bearerTokenAuthentication(admin))),
        200,
        null);
    expect(
        api.check(
            "productStats",
            send(http.get("/api/admin/products/999999999/stats").bearerTokenAuthentication(admin))),
        404,
        "NOT_FOUND");
    expect(
        api.check(
            "grantPoints",
            send(
                http.post("/api/admin/users/" + user + "/points").bearerTokenAuthentication(admin),
                new JsonObject().put("amount", 50))),
        200,
        null);
    expect(
        api.check(
            "grantPoints",
            send(
                http.post("/api/admin/users/" + user + "/points")
                    .bearerTokenAuthentication(userToken),
                new JsonObject().put("amount", 50))),
        403,
        "FORBIDDEN");
    expect(
        api.check(
            "loadTestUsers",
            send(
                http.post("/api/admin/loadtest/users").bearerTokenAuthentication(admin),
                new JsonObject().put("count", 2).put("points", 5))),
        200,
        null);
  }

  @Test
  @Order(3)
  void theDropAndOrders() {
    List<Long> users = App.await(server.createUsers(12, 1_000));
    long productId = App.await(server.createProduct("COMMON", 10, 1));
    String first = server.token(users.get(0));
    String key = UUID.randomUUID().toString();
    HttpResponse<Buffer> won =
        api.check("purchase", send(purchase(productId, first).putHeader("Idempotency-Key", key)));
    expect(won, 202, null);
    assertThat(won.getHeader("Location"))
        .isEqualTo("/api/orders/" + won.bodyAsJsonObject().getString("orderId"));
    expect(api.check("purchase", send(purchase(productId, first))), 409, "ALREADY_PURCHASED");
    expect(
        api.check("purchase", send(purchase(productId, server.token(users.get(1))))),
        409,
        "SOLD_OUT");
    long other = App.await(server.createProduct("COMMON", 10, 1));
    expect(
        api.check("purchase", send(purchase(other, first).putHeader("Idempotency-Key", key))),
        422,
        "IDEMPOTENCY_KEY_REUSED");
    expect(api.check("purchase", send(purchase(999_999_999L, first))), 404, "NOT_FOUND");
    expect(
        api.check("purchase", send(http.post("/api/products/" + productId + "/purchase"))),
        401,
        "UNAUTHORIZED");
    long later =
        App.await(
            server.createProduct(
                new JsonObject()
                    .put("name", "later")
                    .put("price", 1)
                    .put("stock", 1)
                    .put("grade", "COMMON")
                    .put("dropAt", Instant.now().plusSeconds(3_600).toString())));
    HttpResponse<Buffer> notOpen = api.check("purchase", send(purchase(later, first)));
    expect(notOpen, 409, "DROP_NOT_OPEN");
    assertThat(notOpen.bodyAsJsonObject().getString("opensAt")).isNotNull();
    // LEGENDARY wins one draw in ten: among ten shoppers one loses all but surely.
    long legendary = App.await(server.createProduct("LEGENDARY", 10, 100));
    boolean lost = false;
    for (int i = 2; i < users.size() && !lost; i++) {
      HttpResponse<Buffer> answer =
          api.check("purchase", send(purchase(legendary, server.token(users.get(i)))));
      lost = answer.statusCode() == 200;
    }
    assertThat(lost).as("a LOST answer among ten LEGENDARY draws").isTrue();

    String orderId = won.bodyAsJsonObject().getString("orderId");
    expect(
        api.check(
            "getOrder", send(http.get("/api/orders/" + orderId).bearerTokenAuthentication(first))),
        200,
        null);
    expect(
        api.check(
            "getOrder",
            send(
                http.get("/api/orders/" + orderId)
                    .bearerTokenAuthentication(server.token(users.get(1))))),
        404,
        "NOT_FOUND");
    expect(
        api.check("listOrders", send(http.get("/api/orders").bearerTokenAuthentication(first))),
        200,
        null);
    expect(
        api.check(
            "listOrders",
            send(
                http.get("/api/orders")
                    .addQueryParam("size", "0")
                    .bearerTokenAuthentication(first))),
        400,
        "VALIDATION_FAILED");
  }

  private static HttpRequest<Buffer> purchase(long productId, String token) {
    return http.post("/api/products/" + productId + "/purchase").bearerTokenAuthentication(token);
  }

  @Test
  @Order(4)
  void operationsAndPages() {
    expect(api.check("health", send(http.get("/health"))), 200, null);
    expect(api.check("ready", send(http.get("/ready"))), 200, null);
    expect(api.check("metrics", send(http.get("/metrics"))), 200, null);
    for (String[] page :
        new String[][] {{"shopperPage", "/"}, {"opsPage", "/ops"}, {"docs", "/docs"}}) {
      HttpResponse<Buffer> answer = api.check(page[0], send(http.get(page[1])));
      expect(answer, 200, null);
      assertThat(answer.bodyAsString()).startsWith("<!doctype html>");
    }
    HttpResponse<Buffer> description = api.check("openapi", send(http.get("/openapi.yaml")));
    expect(description, 200, null);
    assertThat(description.bodyAsString()).startsWith("openapi: 3.1.0");
  }

  @Test
  @Order(5)
  void theLiveFeed() {
    long user = App.await(server.createUsers(1, 0)).get(0);
    expect(api.check("live", send(http.get("/api/admin/live"))), 401, "UNAUTHORIZED");
    expect(
        api.check(
            "live",
            send(http.get("/api/admin/live").bearerTokenAuthentication(server.token(user)))),
        403,
        "FORBIDDEN");
    App.await(server.createProduct("COMMON", 10, 3));
    // The stream never ends: its head is checked here, its events against the LiveSnapshot schema.
    HttpClient client = server.vertx().createHttpClient();
    try {
      JsonObject snapshot = App.await(firstEvent(client));
      api.checkSchema("live", "LiveSnapshot", snapshot);
      assertThat(snapshot.getJsonArray("products")).isNotEmpty();
    } finally {
      App.await(client.close());
    }
  }

  private static Future<JsonObject> firstEvent(HttpClient client) {
    Promise<JsonObject> event = Promise.promise();
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
                    pending.append(chunk);
                    int start = pending.indexOf("data: ");
                    int end = start < 0 ? -1 : pending.indexOf("\n\n", start);
                    if (end > 0) {
                      event.tryComplete(new JsonObject(pending.substring(start + 6, end)));
                    }
                  });
              return event.future();
            });
  }

  @Test
  @Order(6)
  void everyOperationOfTheDescriptionWasChecked() {
    Set<String> missing = new TreeSet<>(api.operations());
    missing.removeAll(api.seen());
    missing.removeAll(QUEUE_OPERATIONS);
    assertThat(missing).as("operations of openapi.yaml no test called").isEmpty();
    assertThat(api.operations()).containsAll(QUEUE_OPERATIONS);
  }
}
