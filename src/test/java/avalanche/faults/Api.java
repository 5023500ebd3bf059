package avalanche.faults;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Blocking HTTP calls of the suite's set-up and audit (admin, provisioning, orders), over one
 * Vert.x WebClient.
 */
final class Api implements AutoCloseable {
  static final String ADMIN_EMAIL = "admin@faults.avalanche.test";
  static final String ADMIN_PASSWORD = "fault-suite-admin-password";

  /** A provisioned shopper. */
  record User(long id, String token) {}

  /** An answer: status and body (the body as JSON when it is a JSON object). */
  record Reply(int status, String body, JsonObject json) {
    String code() {
      return json == null ? null : json.getString("error");
    }
  }

  final Vertx vertx;
  final WebClient client;
  private volatile String adminToken;

  Api(Vertx vertx, int poolSize) {
    this.vertx = vertx;
    this.client =
        WebClient.create(
            vertx,
            new WebClientOptions()
                .setKeepAlive(true)
                .setConnectTimeout(2_000)
                .setMaxHeaderSize(64 * 1024),
            new PoolOptions().setHttp1MaxSize(poolSize));
  }

  Reply call(
      AvalancheNode node,
      HttpMethod method,
      String path,
      String token,
      Object body,
      long timeoutMs) {
    HttpRequest<Buffer> request =
        client.request(method, node.port, "127.0.0.1", path).timeout(timeoutMs);
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    Future<HttpResponse<Buffer>> sent =
        body == null
            ? request.send()
            : body instanceof Buffer raw
                ? request.putHeader("Content-Type", "application/json").sendBuffer(raw)
                : request.sendJson(body);
    HttpResponse<Buffer> response = await(sent, timeoutMs + 2_000);
    String text = response.bodyAsString();
    JsonObject json = null;
    try {
      Object parsed = text == null ? null : Buffer.buffer(text).toJsonValue();
      json = parsed instanceof JsonObject o ? o : null;
    } catch (RuntimeException notJson) {
      // keep the text
    }
    return new Reply(response.statusCode(), text, json);
  }

  /**
   * An admin call; logs in first and again on 401 (the session may have been lost with Redis'
   * data).
   */
  Reply admin(AvalancheNode node, HttpMethod method, String path, Object body) {
    if (adminToken == null) {
      login(node);
    }
    Reply reply = call(node, method, path, adminToken, body, 30_000);
    if (reply.status() == 401) {
      login(node);
      reply = call(node, method, path, adminToken, body, 30_000);
    }
    return reply;
  }

  String adminToken(AvalancheNode node) {
    if (adminToken == null) {
      login(node);
    }
    return adminToken;
  }

  synchronized void login(AvalancheNode node) {
    Reply reply =
        call(
            node,
            HttpMethod.POST,
            "/api/auth/login",
            null,
            new JsonObject()
                .put("email", ADMIN_EMAIL)
                .put("password", ADMIN_PASSWORD)
                .put("clientId", "fault-suite"),
            30_000);
    if (reply.status() != 200) {
      throw new IllegalStateException(
          "admin login on " + node.name + ": " + reply.status() + " " + reply.body());
    }
    adminToken = reply.json().getString("accessToken");
  }

  long createProduct(AvalancheNode node, String name, long price, long stock) {
    return createProduct(node, name, price, stock, 1);
  }

  long createProduct(AvalancheNode node, String name, long price, long stock, int buckets) {
    JsonObject body =
        new JsonObject()
            .put("name", name)
            .put("price", price)
            .put("stock", stock)
            .put("grade", "COMMON");
    if (buckets > 1) {
      body.put("buckets", buckets);
    }
    Reply reply = admin(node, HttpMethod.POST, "/api/admin/products", body);
    if (reply.status() != 201) {
      throw new IllegalStateException(
          "create product on " + node.name + ": " + reply.status() + " " + reply.body());
    }
    return Long.parseLong(reply.json().getString("productId"));
  }

  List<User> users(AvalancheNode node, int count, long points) {
    List<User> users = new ArrayList<>(count);
    while (users.size() < count) {
      int batch = Math.min(10_000, count - users.size());
      Reply reply =
          admin(
              node,
              HttpMethod.POST,
              "/api/admin/loadtest/users",
              new JsonObject().put("count", batch).put("points", points));
      if (reply.status() != 200) {
        throw new IllegalStateException(
            "provision users on " + node.name + ": " + reply.status() + " " + reply.body());
      }
      JsonArray list = reply.json().getJsonArray("users");
      for (int i = 0; i < list.size(); i++) {
        JsonObject u = list.getJsonObject(i);
        users.add(new User(Long.parseLong(u.getString("userId")), u.getString("accessToken")));
      }
    }
    return users;
  }

  JsonObject stats(AvalancheNode node, long productId) {
    Reply reply = admin(node, HttpMethod.GET, "/api/admin/products/" + productId + "/stats", null);
    if (reply.status() != 200 || reply.json() == null) {
      throw new IllegalStateException(
          "stats of "
              + productId
              + " on "
              + node.name
              + ": "
              + reply.status()
              + " "
              + reply.body());
    }
    return reply.json();
  }

  Reply purchase(AvalancheNode node, long productId, String token) {
    return call(
        node, HttpMethod.POST, "/api/products/" + productId + "/purchase", token, null, 15_000);
  }

  Reply order(AvalancheNode node, String token, String orderId) {
    return call(node, HttpMethod.GET, "/api/orders/" + orderId, token, null, 15_000);
  }

  static <T> T await(Future<T> future, long timeoutMs) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause().toString(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("no answer in " + timeoutMs + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
