package avalanche.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The admin side of a run (set-up and audit), over plain java.net.http outside the measured traffic. */
final class AvalancheApi {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final int PROVISION_CHUNK = 10_000;

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String baseUrl;
  private final String adminEmail;
  private final String adminPassword;
  private String adminToken;

  private AvalancheApi(String baseUrl, String adminEmail, String adminPassword) {
    this.baseUrl = baseUrl;
    this.adminEmail = adminEmail;
    this.adminPassword = adminPassword;
  }

  static AvalancheApi login(String baseUrl, String adminEmail, String adminPassword) {
    AvalancheApi api = new AvalancheApi(baseUrl, adminEmail, adminPassword);
    api.relogin();
    return api;
  }

  /** A fresh admin access token (they live 15 minutes; call again before an audit after a long run). */
  String relogin() {
    ObjectNode body = JSON.createObjectNode().put("email", adminEmail).put("password", adminPassword)
        .put("clientId", "gatling-admin");
    adminToken = expect(200, send("POST", "/api/auth/login", body, null)).get("accessToken").asText();
    return adminToken;
  }

  String adminToken() {
    return adminToken;
  }

  record User(String userId, String email, String token) {}

  /** {@code count} verified users with {@code points} each and a live session (chunks of 10,000). */
  List<User> provision(int count, long points) {
    List<User> users = new ArrayList<>(count);
    while (users.size() < count) {
      int chunk = Math.min(PROVISION_CHUNK, count - users.size());
      ObjectNode body = JSON.createObjectNode().put("count", chunk).put("points", points);
      for (JsonNode user : expect(200, send("POST", "/api/admin/loadtest/users", body, adminToken)).get("users")) {
        users.add(new User(user.get("userId").asText(), user.get("email").asText(), user.get("accessToken").asText()));
      }
    }
    return users;
  }

  String createProduct(String name, long price, long stock, String grade) {
    ObjectNode body = JSON.createObjectNode().put("name", name).put("price", price).put("stock", stock).put("grade", grade);
    return expect(201, send("POST", "/api/admin/products", body, adminToken)).get("productId").asText();
  }

  /** A product behind a waiting room that admits {@code admitPerSecond} and opens 600 s before {@code dropAt}. */
  String createRoomProduct(String name, long price, long stock, String grade, java.time.Instant dropAt, long admitPerSecond) {
    ObjectNode body = JSON.createObjectNode().put("name", name).put("price", price).put("stock", stock).put("grade", grade)
        .put("dropAt", dropAt.toString());
    body.putObject("waitingRoom").put("admitPerSecond", admitPerSecond);
    return expect(201, send("POST", "/api/admin/products", body, adminToken)).get("productId").asText();
  }

  JsonNode stats(String productId) {
    return expect(200, send("GET", "/api/admin/products/" + productId + "/stats", null, adminToken));
  }

  /** One purchase as {@code user}; returns the status code (set-up only, e.g. to sell a product out). */
  int purchase(User user, String productId) {
    return send("POST", "/api/products/" + productId + "/purchase", null, user.token()).statusCode();
  }

  private HttpResponse<String> send(String method, String path, JsonNode body, String token) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(120))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.toString()));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    try {
      return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode expect(int status, HttpResponse<String> response) {
    if (response.statusCode() != status) {
      throw new IllegalStateException(response.request().method() + " " + response.uri().getPath() + ": expected "
          + status + ", got " + response.statusCode() + " " + response.body());
    }
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new IllegalStateException("not JSON: " + response.body(), e);
    }
  }
}
