package avalanche.infra;

import static avalanche.infra.ErrorAnswers.assertErrorShape;
import static avalanche.infra.ErrorAnswers.expect;
import static avalanche.infra.ErrorAnswers.expectClientError;
import static avalanche.infra.ErrorAnswers.labelled;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import avalanche.order.OrderIds;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bad input over real HTTP: every failure is the contract's 4xx with {@code {"error", "message"}}
 * as JSON, never a 5xx or a stack trace. One ingress instance and a low per-user attempt rate so
 * 429 is reachable.
 */
@ExtendWith(VertxExtension.class)
class BadInputTest {
  private static final int ATTEMPTS_PER_SECOND = 4;

  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject()
              .put(
                  "http",
                  new JsonObject()
                      .put("instances", 1)
                      .put("purchaseAttemptsPerSecond", ATTEMPTS_PER_SECOND)));

  @Test
  void malformedJsonAndWrongShapesAreValidationFailures(VertxTestContext test) {
    server
        .adminToken()
        .compose(
            admin -> {
              Function<String, Future<HttpResponse<Buffer>>> create =
                  body ->
                      server
                          .http()
                          .post("/api/admin/products")
                          .bearerTokenAuthentication(admin)
                          .putHeader("Content-Type", "application/json")
                          .sendBuffer(Buffer.buffer(body));
              JsonObject valid =
                  new JsonObject()
                      .put("name", "x")
                      .put("price", 10)
                      .put("stock", 5)
                      .put("grade", "COMMON");
              List<Future<?>> checks = new ArrayList<>();
              checks.add(
                  expect(
                      "malformed JSON",
                      create.apply("{\"name\": \"x\", "),
                      400,
                      "VALIDATION_FAILED"));
              checks.add(
                  expect(
                      "not JSON at all", create.apply("name=x&price=1"), 400, "VALIDATION_FAILED"));
              checks.add(
                  expect(
                      "JSON array",
                      create.apply(new JsonArray().add(valid).encode()),
                      400,
                      "VALIDATION_FAILED"));
              checks.add(expect("JSON string", create.apply("\"text\""), 400, "VALIDATION_FAILED"));
              checks.add(expect("JSON null", create.apply("null"), 400, "VALIDATION_FAILED"));
              checks.add(expect("empty body", create.apply(""), 400, "VALIDATION_FAILED"));
              checks.add(expect("blank body", create.apply("   "), 400, "VALIDATION_FAILED"));
              checks.add(
                  expect(
                      "price as string",
                      create.apply(valid.copy().put("price", "10").encode()),
                      400,
                      "VALIDATION_FAILED",
                      "price"));
              checks.add(
                  expect(
                      "stock 1.5",
                      create.apply(valid.copy().put("stock", 1.5).encode()),
                      400,
                      "VALIDATION_FAILED",
                      "stock"));
              checks.add(
                  expect(
                      "stock as boolean",
                      create.apply(valid.copy().put("stock", true).encode()),
                      400,
                      "VALIDATION_FAILED",
                      "stock"));
              checks.add(
                  expect(
                      "negative price",
                      create.apply(valid.copy().put("price", -1).encode()),
                      400,
                      "VALIDATION_FAILED",
                      "price"));
              checks.add(
                  expect(
                      "huge price",
                      create.apply(valid.copy().put("price", 1e30).encode()),
                      400,
                      "VALIDATION_FAILED",
                      "price"));
              checks.add(
                  expect(
                      "unknown grade",
                      create.apply(valid.copy().put("grade", "EPIC").encode()),
                      400,
                      "VALIDATION_FAILED",
                      "grade"));
              checks.add(
                  expect(
                      "grade as number",
                      create.apply(valid.copy().put("grade", 1).encode()),
                      400,
                      "VALIDATION_FAILED",
                      "grade"));
              checks.add(
                  expect(
                      "missing name",
                      create.apply(without(valid, "name")),
                      400,
                      "VALIDATION_FAILED",
                      "name"));
              checks.add(
                  expect(
                      "missing price",
                      create.apply(without(valid, "price")),
                      400,
                      "VALIDATION_FAILED",
                      "price"));
              checks.add(
                  expect(
                      "missing stock",
                      create.apply(without(valid, "stock")),
                      400,
                      "VALIDATION_FAILED",
                      "stock"));
              checks.add(
                  expect(
                      "missing grade",
                      create.apply(without(valid, "grade")),
                      400,
                      "VALIDATION_FAILED",
                      "grade"));
              checks.add(
                  expect(
                      "bad dropAt",
                      create.apply(valid.copy().put("dropAt", "tomorrow").encode()),
                      400,
                      "VALIDATION_FAILED",
                      "dropAt"));
              checks.add(
                  expect(
                      "login: malformed JSON",
                      server
                          .http()
                          .post("/api/auth/login")
                          .putHeader("Content-Type", "application/json")
                          .sendBuffer(Buffer.buffer("{\"email\":")),
                      400,
                      "VALIDATION_FAILED"));
              checks.add(
                  expect(
                      "login: missing fields",
                      server
                          .http()
                          .post("/api/auth/login")
                          .sendJsonObject(new JsonObject().put("email", TestServer.ADMIN_EMAIL)),
                      400,
                      "VALIDATION_FAILED"));
              checks.add(
                  expect(
                      "login: password as number",
                      server
                          .http()
                          .post("/api/auth/login")
                          .sendJsonObject(
                              new JsonObject()
                                  .put("email", TestServer.ADMIN_EMAIL)
                                  .put("password", 12345678)
                                  .put("clientId", "c")),
                      400,
                      "VALIDATION_FAILED",
                      "password"));
              return Future.all(checks);
            })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void purchaseBodiesAreCheckedToo(VertxTestContext test) {
    server
        .createProduct("COMMON", 10, 5)
        .compose(
            p ->
                server
                    .createUsers(3, 0)
                    .compose(
                        users -> {
                          String path = "/api/products/" + p + "/purchase";
                          return Future.all(
                              expect(
                                  "malformed purchase body",
                                  server
                                      .http()
                                      .post(path)
                                      .bearerTokenAuthentication(server.token(users.get(0)))
                                      .putHeader("Content-Type", "application/json")
                                      .sendBuffer(Buffer.buffer("{oops")),
                                  400,
                                  "VALIDATION_FAILED"),
                              expect(
                                  "shippingAddress as number",
                                  server
                                      .http()
                                      .post(path)
                                      .bearerTokenAuthentication(server.token(users.get(1)))
                                      .sendJsonObject(new JsonObject().put("shippingAddress", 5)),
                                  400,
                                  "VALIDATION_FAILED",
                                  "shippingAddress"),
                              expect(
                                  "Idempotency-Key too long",
                                  server
                                      .http()
                                      .post(path)
                                      .bearerTokenAuthentication(server.token(users.get(2)))
                                      .putHeader("Idempotency-Key", "k".repeat(129))
                                      .send(),
                                  400,
                                  "VALIDATION_FAILED",
                                  "Idempotency-Key"));
                        })
                    .compose(done -> stats(p))
                    .map(
                        stats -> {
                          // Rejected input never reached the stock script.
                          assertThat(stats.getLong("attempts")).isZero();
                          return stats;
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void bodiesOverTheLimitArePayloadTooLarge(Vertx vertx, VertxTestContext test) {
    String big =
        new JsonObject()
            .put("name", "x".repeat(70 * 1024))
            .put("price", 1)
            .put("stock", 1)
            .put("grade", "COMMON")
            .encode();
    HttpClient raw = vertx.createHttpClient();
    Future<Buffer> chunked =
        raw.request(
                new RequestOptions()
                    .setMethod(HttpMethod.POST)
                    .setHost("127.0.0.1")
                    .setPort(server.app().httpPort())
                    .setURI("/api/auth/login"))
            .compose(
                request -> {
                  // No Content-Length: the limit must also hold while the body streams in. The
                  // server answers before
                  // the upload ends, so the response is taken up before writing, or its body could
                  // pass unread.
                  Future<Buffer> answer =
                      request
                          .response()
                          .compose(
                              response -> {
                                assertThat(response.statusCode()).isEqualTo(413);
                                assertThat(response.getHeader("Content-Type"))
                                    .isEqualTo("application/json");
                                return response.body();
                              });
                  request.setChunked(true).putHeader("Content-Type", "application/json");
                  for (int i = 0; i < 10; i++) {
                    request.write(Buffer.buffer("x".repeat(10 * 1024)));
                  }
                  request.end();
                  return answer;
                });
    server
        .adminToken()
        .compose(
            admin ->
                Future.all(
                    expect(
                        "admin create, 70 KiB",
                        server
                            .http()
                            .post("/api/admin/products")
                            .bearerTokenAuthentication(admin)
                            .putHeader("Content-Type", "application/json")
                            .sendBuffer(Buffer.buffer(big)),
                        413,
                        "PAYLOAD_TOO_LARGE"),
                    expect(
                        "login, 70 KiB, no token needed to be refused",
                        server
                            .http()
                            .post("/api/auth/login")
                            .putHeader("Content-Type", "application/json")
                            .sendBuffer(Buffer.buffer(big)),
                        413,
                        "PAYLOAD_TOO_LARGE"),
                    labelled(
                        "chunked login, 100 KiB",
                        chunked.map(
                            body -> {
                              assertThat(body.toJsonObject().getString("error"))
                                  .isEqualTo("PAYLOAD_TOO_LARGE");
                              return body;
                            }))))
        .onComplete(done -> raw.close())
        .onComplete(test.succeedingThenComplete());
  }

  /**
   * Plain purchases are served ahead of the router; a chunked body or one declared over the limit
   * takes the router's route for the same path. Both answer alike.
   */
  @Test
  void purchasesTheRouterServesAnswerLikeTheDirectPath(Vertx vertx, VertxTestContext test) {
    HttpClient raw = vertx.createHttpClient();
    server
        .createProduct("COMMON", 10, 5)
        .compose(
            p ->
                server
                    .createUsers(3, 0)
                    .compose(
                        users -> {
                          String path = "/api/products/" + p + "/purchase";
                          String big =
                              new JsonObject()
                                  .put("shippingAddress", "x".repeat(70 * 1024))
                                  .encode();
                          return Future.all(
                                  labelled(
                                      "chunked, valid",
                                      chunkedPurchase(raw, path, server.token(users.get(0)), "{}")
                                          .map(
                                              r -> {
                                                assertThat(r.getInteger("status")).isEqualTo(202);
                                                assertThat(
                                                        r.getJsonObject("body")
                                                            .getString("outcome"))
                                                    .isEqualTo("RESERVED");
                                                return r;
                                              })),
                                  labelled(
                                      "chunked, malformed",
                                      chunkedPurchase(
                                              raw, path, server.token(users.get(1)), "{oops")
                                          .map(
                                              r -> {
                                                assertThat(r.getInteger("status")).isEqualTo(400);
                                                assertThat(
                                                        r.getJsonObject("body").getString("error"))
                                                    .isEqualTo("VALIDATION_FAILED");
                                                return r;
                                              })),
                                  labelled(
                                      "chunked, 70 KiB",
                                      chunkedPurchase(raw, path, server.token(users.get(2)), big)
                                          .map(
                                              r -> {
                                                assertThat(r.getInteger("status")).isEqualTo(413);
                                                assertThat(
                                                        r.getJsonObject("body").getString("error"))
                                                    .isEqualTo("PAYLOAD_TOO_LARGE");
                                                return r;
                                              })),
                                  expect(
                                      "Content-Length 70 KiB",
                                      server
                                          .http()
                                          .post(path)
                                          .bearerTokenAuthentication(server.token(users.get(2)))
                                          .putHeader("Content-Type", "application/json")
                                          .sendBuffer(Buffer.buffer(big)),
                                      413,
                                      "PAYLOAD_TOO_LARGE"))
                              .compose(done -> stats(p))
                              .map(
                                  stats -> {
                                    // Only the valid purchase reached the stock script.
                                    assertThat(stats.getLong("attempts")).isEqualTo(1);
                                    assertThat(stats.getLong("won")).isEqualTo(1);
                                    return stats;
                                  });
                        }))
        .onComplete(done -> raw.close())
        .onComplete(test.succeedingThenComplete());
  }

  /** A purchase with a chunked body (no Content-Length): {@code {status, body}} of the answer. */
  private static Future<JsonObject> chunkedPurchase(
      HttpClient raw, String path, String token, String body) {
    return raw.request(
            new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost("127.0.0.1")
                .setPort(server.app().httpPort())
                .setURI(path))
        .compose(
            request -> {
              Future<JsonObject> answer =
                  request
                      .response()
                      .compose(
                          response ->
                              response
                                  .body()
                                  .map(
                                      bytes ->
                                          new JsonObject()
                                              .put("status", response.statusCode())
                                              .put("body", bytes.toJsonObject())));
              request
                  .setChunked(true)
                  .putHeader("Authorization", "Bearer " + token)
                  .putHeader("Content-Type", "application/json");
              for (int i = 0; i < body.length(); i += 8 * 1024) {
                request.write(
                    Buffer.buffer(body.substring(i, Math.min(body.length(), i + 8 * 1024))));
              }
              request.end();
              return answer;
            });
  }

  @Test
  void badTokensAreUnauthorized(VertxTestContext test) {
    server
        .createUsers(1, 0)
        .compose(
            users -> {
              long userId = users.get(0);
              long now = Instant.now().getEpochSecond();
              // The claims of a real token, so they name a live session; each variant below breaks
              // one thing.
              String issued = server.token(userId);
              JsonObject claims =
                  new JsonObject(
                          new String(
                              Base64.getUrlDecoder().decode(issued.split("\\.")[1]),
                              StandardCharsets.UTF_8))
                      .put("iat", now)
                      .put("exp", now + 600);
              JsonObject hs256 = new JsonObject().put("alg", "HS256").put("typ", "JWT");
              String good = jwt(hs256, claims, TestServer.JWT_SECRET, "HmacSHA256");
              String[] parts = good.split("\\.");
              // Same user and live session, roles raised to ADMIN, signature of the original: only
              // the signature is wrong.
              String tampered =
                  parts[0]
                      + "."
                      + b64(
                          claims
                              .copy()
                              .put("roles", new JsonArray().add("USER").add("ADMIN"))
                              .encode())
                      + "."
                      + parts[2];
              String expired =
                  jwt(
                      hs256,
                      claims.copy().put("iat", now - 1200).put("exp", now - 600),
                      TestServer.JWT_SECRET,
                      "HmacSHA256");
              String otherSecret =
                  jwt(hs256, claims, "another-secret-another-secret-0123456789", "HmacSHA256");
              String hs512 =
                  jwt(
                      new JsonObject().put("alg", "HS512").put("typ", "JWT"),
                      claims,
                      TestServer.JWT_SECRET,
                      "HmacSHA512");
              JsonObject none = new JsonObject().put("alg", "none").put("typ", "JWT");
              String algNone = b64(none.encode()) + "." + b64(claims.encode()) + ".";
              String algNoneAdmin =
                  b64(none.encode())
                      + "."
                      + b64(
                          claims
                              .copy()
                              .put("roles", new JsonArray().add("USER").add("ADMIN"))
                              .encode())
                      + ".";
              String algNoneSigned = b64(none.encode()) + "." + parts[1] + "." + parts[2];
              String subNotNumber =
                  jwt(
                      hs256,
                      claims.copy().put("sub", "alice"),
                      TestServer.JWT_SECRET,
                      "HmacSHA256");
              JsonObject noSubClaims = claims.copy();
              noSubClaims.remove("sub");
              String noSub = jwt(hs256, noSubClaims, TestServer.JWT_SECRET);
              // Time claims that would make a token live forever or too long, all correctly signed
              // (access TTL is 900 s).
              JsonObject noIatClaims = claims.copy();
              noIatClaims.remove("iat");
              Function<JsonObject, String> signed = c -> jwt(hs256, c, TestServer.JWT_SECRET);
              List<String[]> timeClaims =
                  List.of(
                      new String[] {"exp 1e30", signed.apply(claims.copy().put("exp", 1e30))},
                      new String[] {
                        "exp beyond 64 bits",
                        signed.apply(claims.copy().put("exp", new BigInteger("1" + "0".repeat(30))))
                      },
                      new String[] {
                        "exp a fraction", signed.apply(claims.copy().put("exp", now + 600.5))
                      },
                      new String[] {
                        "exp as text",
                        signed.apply(claims.copy().put("exp", Long.toString(now + 600)))
                      },
                      new String[] {
                        "exp ten years out",
                        signed.apply(claims.copy().put("exp", now + 10L * 365 * 86_400))
                      },
                      new String[] {
                        "exp longer than the TTL after iat",
                        signed.apply(claims.copy().put("iat", now - 10).put("exp", now + 1_000))
                      },
                      new String[] {
                        "exp before iat",
                        signed.apply(claims.copy().put("iat", now + 2).put("exp", now + 1))
                      },
                      new String[] {
                        "iat in the future",
                        signed.apply(claims.copy().put("iat", now + 60).put("exp", now + 600))
                      },
                      new String[] {"no iat", signed.apply(noIatClaims)});

              Function<String, HttpRequest<Buffer>> orders =
                  auth -> {
                    HttpRequest<Buffer> request = server.http().get("/api/orders");
                    return auth == null ? request : request.putHeader("Authorization", auth);
                  };
              List<Future<?>> checks = new ArrayList<>();
              for (String[] bad : timeClaims) {
                checks.add(
                    expect(bad[0], orders.apply("Bearer " + bad[1]).send(), 401, "UNAUTHORIZED"));
              }
              checks.add(
                  Future.all(
                      List.of(
                          // Positive control: the hand-made token is accepted, so the refusals
                          // below are about the defect.
                          orders
                              .apply("Bearer " + good)
                              .send()
                              .map(
                                  r -> {
                                    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
                                    return r;
                                  }),
                          expect(
                              "no Authorization", orders.apply(null).send(), 401, "UNAUTHORIZED"),
                          expect(
                              "Basic scheme",
                              orders.apply("Basic dXNlcjpwYXNz").send(),
                              401,
                              "UNAUTHORIZED"),
                          expect(
                              "empty Bearer", orders.apply("Bearer ").send(), 401, "UNAUTHORIZED"),
                          expect(
                              "garbage",
                              orders.apply("Bearer not-a-token").send(),
                              401,
                              "UNAUTHORIZED"),
                          expect(
                              "three garbage parts",
                              orders.apply("Bearer a.b.c").send(),
                              401,
                              "UNAUTHORIZED"),
                          expect(
                              "huge header",
                              orders.apply("Bearer " + "a".repeat(5000)).send(),
                              401,
                              "UNAUTHORIZED"),
                          expect(
                              "tampered payload",
                              orders.apply("Bearer " + tampered).send(),
                              401,
                              "UNAUTHORIZED"),
                          expect(
                              "tampered payload on an admin route",
                              server
                                  .http()
                                  .get("/api/admin/products/1/stats")
                                  .putHeader("Authorization", "Bearer " + tampered)
                                  .send(),
                              401,
                              "UNAUTHORIZED"),
                          expect(
                              "expired",
                              orders.apply("Bearer " + expired).send(),
                              401,
                              "UNAUTHORIZED"),
                          expect(
                              "other secret",
                              orders.apply("Bearer " + otherSecret).send(),
                              401,
                              "UNAUTHORIZED"),
                          expect(
                              "HS512", orders.apply("Bearer " + hs512).send(), 401, "UNAUTHORIZED"),
                          expect(
                              "alg none",
                              orders.apply("Bearer " + algNone).send(),
                              401,
                              "UNAUTHORIZED"),
                          expect(
                              "alg none keeping the signature",
                              orders.apply("Bearer " + algNoneSigned).send(),
                              401,
                              "UNAUTHORIZED"),
                          expect(
                              "alg none as admin",
                              server
                                  .http()
                                  .post("/api/admin/products")
                                  .putHeader("Authorization", "Bearer " + algNoneAdmin)
                                  .sendJsonObject(
                                      new JsonObject()
                                          .put("name", "x")
                                          .put("price", 1)
                                          .put("stock", 1)
                                          .put("grade", "COMMON")),
                              401,
                              "UNAUTHORIZED"),
                          expect(
                              "sub not a number",
                              orders.apply("Bearer " + subNotNumber).send(),
                              401,
                              "UNAUTHORIZED"),
                          expect(
                              "no sub",
                              orders.apply("Bearer " + noSub).send(),
                              401,
                              "UNAUTHORIZED"),
                          expect(
                              "purchase without token",
                              server.http().post("/api/products/1/purchase").send(),
                              401,
                              "UNAUTHORIZED"))));
              return Future.all(checks);
            })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void nonAdminsAreForbiddenOnAdminRoutes(VertxTestContext test) {
    server
        .createProduct("COMMON", 10, 1)
        .compose(
            p ->
                server
                    .createUsers(1, 0)
                    .compose(
                        users -> {
                          String token = server.token(users.get(0));
                          return Future.all(
                              expect(
                                  "create product",
                                  server
                                      .http()
                                      .post("/api/admin/products")
                                      .bearerTokenAuthentication(token)
                                      .sendJsonObject(
                                          new JsonObject()
                                              .put("name", "x")
                                              .put("price", 1)
                                              .put("stock", 1)
                                              .put("grade", "COMMON")),
                                  403,
                                  "FORBIDDEN"),
                              expect(
                                  "stats",
                                  server
                                      .http()
                                      .get("/api/admin/products/" + p + "/stats")
                                      .bearerTokenAuthentication(token)
                                      .send(),
                                  403,
                                  "FORBIDDEN"));
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void unknownAndNonNumericProductIdsAreNotFound(VertxTestContext test) {
    server
        .adminToken()
        .compose(
            admin ->
                server
                    .createUsers(1, 0)
                    .compose(
                        users -> {
                          String user = server.token(users.get(0));
                          List<Future<?>> checks = new ArrayList<>();
                          for (String id :
                              List.of(
                                  "999999999999",
                                  "abc",
                                  "-1",
                                  "0",
                                  "1.5",
                                  "99999999999999999999",
                                  "%E2%82%AC")) {
                            checks.add(
                                expect(
                                    "GET product " + id,
                                    server.http().get("/api/products/" + id).send(),
                                    404,
                                    "NOT_FOUND"));
                            checks.add(
                                expect(
                                    "stats " + id,
                                    server
                                        .http()
                                        .get("/api/admin/products/" + id + "/stats")
                                        .bearerTokenAuthentication(admin)
                                        .send(),
                                    404,
                                    "NOT_FOUND"));
                            checks.add(
                                expect(
                                    "purchase " + id,
                                    server
                                        .http()
                                        .post("/api/products/" + id + "/purchase")
                                        .bearerTokenAuthentication(user)
                                        .send(),
                                    404,
                                    "NOT_FOUND"));
                          }
                          checks.add(
                              expectClientError(
                                  "undecodable path",
                                  server.http().get("/api/products/%zz").send()));
                          return Future.all(checks);
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void unknownOrdersAndOtherUsersOrdersAreNotFound(VertxTestContext test) {
    server
        .createProduct("COMMON", 10, 5)
        .compose(
            p ->
                server
                    .createUsers(2, 0)
                    .compose(
                        users -> {
                          String owner = server.token(users.get(0));
                          String other = server.token(users.get(1));
                          return server
                              .http()
                              .post("/api/products/" + p + "/purchase")
                              .bearerTokenAuthentication(owner)
                              .send()
                              .compose(
                                  bought -> {
                                    assertThat(bought.statusCode()).isEqualTo(202);
                                    String location = bought.getHeader("Location");
                                    return Future.all(
                                        List.of(
                                            server
                                                .http()
                                                .get(location)
                                                .bearerTokenAuthentication(owner)
                                                .send()
                                                .map(
                                                    r -> {
                                                      assertThat(r.statusCode()).isEqualTo(200);
                                                      return r;
                                                    }),
                                            expect(
                                                "another user's order",
                                                server
                                                    .http()
                                                    .get(location)
                                                    .bearerTokenAuthentication(other)
                                                    .send(),
                                                404,
                                                "NOT_FOUND"),
                                            expect(
                                                "well-formed unknown order",
                                                server
                                                    .http()
                                                    .get("/api/orders/" + OrderIds.next(p))
                                                    .bearerTokenAuthentication(owner)
                                                    .send(),
                                                404,
                                                "NOT_FOUND"),
                                            expect(
                                                "order of an unknown product",
                                                server
                                                    .http()
                                                    .get("/api/orders/" + OrderIds.next(987654321L))
                                                    .bearerTokenAuthentication(owner)
                                                    .send(),
                                                404,
                                                "NOT_FOUND"),
                                            expect(
                                                "nonsense order id",
                                                server
                                                    .http()
                                                    .get("/api/orders/nonsense")
                                                    .bearerTokenAuthentication(owner)
                                                    .send(),
                                                404,
                                                "NOT_FOUND"),
                                            expect(
                                                "very long order id",
                                                server
                                                    .http()
                                                    .get("/api/orders/" + "f".repeat(300))
                                                    .bearerTokenAuthentication(owner)
                                                    .send(),
                                                404,
                                                "NOT_FOUND")));
                                  });
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void unknownRoutesAndWrongMethodsAnswerJson(VertxTestContext test) {
    Future.all(
            List.of(
                expect("unknown route", server.http().get("/nope").send(), 404, "NOT_FOUND"),
                expect(
                    "unknown api route",
                    server.http().post("/api/nope").sendJsonObject(new JsonObject()),
                    404,
                    "NOT_FOUND"),
                expect(
                    "DELETE product",
                    server.http().delete("/api/products/1").send(),
                    405,
                    "METHOD_NOT_ALLOWED"),
                expect(
                    "GET purchase",
                    server.http().get("/api/products/1/purchase").send(),
                    405,
                    "METHOD_NOT_ALLOWED"),
                expect(
                    "GET login",
                    server.http().get("/api/auth/login").send(),
                    405,
                    "METHOD_NOT_ALLOWED"),
                expect(
                    "PUT products",
                    server.http().put("/api/products").sendJsonObject(new JsonObject()),
                    405,
                    "METHOD_NOT_ALLOWED")))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void purchaseBeforeTheDropIsNotOpenWithOpensAt(VertxTestContext test) {
    Instant dropAt = Instant.now().plus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
    server
        .createProduct(
            new JsonObject()
                .put("name", "later")
                .put("price", 10)
                .put("stock", 5)
                .put("grade", "COMMON")
                .put("dropAt", dropAt.toString()))
        .compose(
            p ->
                server
                    .createUsers(1, 0)
                    .compose(
                        users ->
                            expect(
                                    "before dropAt",
                                    server
                                        .http()
                                        .post("/api/products/" + p + "/purchase")
                                        .bearerTokenAuthentication(server.token(users.get(0)))
                                        .send(),
                                    409,
                                    "DROP_NOT_OPEN")
                                .map(
                                    r -> {
                                      assertThat(
                                              Instant.parse(
                                                  r.bodyAsJsonObject().getString("opensAt")))
                                          .isEqualTo(dropAt);
                                      return r;
                                    })))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void idempotencyKeyReplaysTheFirstAnswerWithoutASecondAttempt(VertxTestContext test) {
    String key = "key-" + UUID.randomUUID();
    server
        .createProduct("COMMON", 10, 5)
        .compose(
            p ->
                server
                    .createProduct("COMMON", 10, 5)
                    .compose(
                        q ->
                            server
                                .createUsers(1, 0)
                                .compose(
                                    users -> {
                                      String token = server.token(users.get(0));
                                      return server
                                          .http()
                                          .post("/api/products/" + p + "/purchase")
                                          .bearerTokenAuthentication(token)
                                          .putHeader("Idempotency-Key", key)
                                          .send()
                                          .compose(
                                              first ->
                                                  server
                                                      .http()
                                                      .post("/api/products/" + p + "/purchase")
                                                      .bearerTokenAuthentication(token)
                                                      .putHeader("Idempotency-Key", key)
                                                      .send()
                                                      .compose(
                                                          replay ->
                                                              stats(p)
                                                                  .map(
                                                                      stats -> {
                                                                        assertThat(
                                                                                first.statusCode())
                                                                            .isEqualTo(202);
                                                                        assertThat(
                                                                                replay.statusCode())
                                                                            .isEqualTo(202);
                                                                        assertThat(
                                                                                replay
                                                                                    .bodyAsJsonObject())
                                                                            .isEqualTo(
                                                                                first
                                                                                    .bodyAsJsonObject());
                                                                        assertThat(
                                                                                replay.getHeader(
                                                                                    "Location"))
                                                                            .isEqualTo(
                                                                                first.getHeader(
                                                                                    "Location"));
                                                                        assertThat(
                                                                                stats.getLong(
                                                                                    "attempts"))
                                                                            .as("no second attempt")
                                                                            .isEqualTo(1);
                                                                        assertThat(
                                                                                stats.getLong(
                                                                                    "alreadyPurchased"))
                                                                            .isZero();
                                                                        return stats;
                                                                      })))
                                          .compose(
                                              x ->
                                                  expect(
                                                      "same key, other product",
                                                      server
                                                          .http()
                                                          .post("/api/products/" + q + "/purchase")
                                                          .bearerTokenAuthentication(token)
                                                          .putHeader("Idempotency-Key", key)
                                                          .send(),
                                                      422,
                                                      "IDEMPOTENCY_KEY_REUSED"))
                                          .compose(x -> stats(q))
                                          .map(
                                              stats -> {
                                                assertThat(stats.getLong("attempts")).isZero();
                                                return stats;
                                              });
                                    })))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void tooManyAttemptsFromOneUserAreRateLimited(VertxTestContext test) {
    int burst = 3 * ATTEMPTS_PER_SECOND;
    server
        .createProduct("COMMON", 10, 5)
        .compose(
            p ->
                server
                    .createUsers(1, 0)
                    .compose(
                        users -> {
                          String token = server.token(users.get(0));
                          List<Future<HttpResponse<Buffer>>> all = new ArrayList<>();
                          for (int i = 0; i < burst; i++) {
                            all.add(
                                server
                                    .http()
                                    .post("/api/products/" + p + "/purchase")
                                    .bearerTokenAuthentication(token)
                                    .send());
                          }
                          return Future.all(all)
                              .map(
                                  done -> {
                                    List<HttpResponse<Buffer>> limited = new ArrayList<>();
                                    for (Future<HttpResponse<Buffer>> f : all) {
                                      HttpResponse<Buffer> r = f.result();
                                      assertThat(r.statusCode()).isIn(202, 409, 429);
                                      if (r.statusCode() == 429) {
                                        limited.add(r);
                                      }
                                    }
                                    // The window may roll over once during the burst: at most twice
                                    // the limit gets through.
                                    assertThat(limited)
                                        .hasSizeGreaterThanOrEqualTo(
                                            burst - 2 * ATTEMPTS_PER_SECOND);
                                    for (HttpResponse<Buffer> r : limited) {
                                      assertErrorShape("429", r, 429, "RATE_LIMITED");
                                      assertThat(Integer.parseInt(r.getHeader("Retry-After")))
                                          .isPositive();
                                    }
                                    return limited;
                                  });
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  // --- helpers
  // --------------------------------------------------------------------------------------

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
        .map(
            r -> {
              assertThat(r.statusCode()).isEqualTo(200);
              return r.bodyAsJsonObject();
            });
  }

  private static String without(JsonObject json, String field) {
    JsonObject copy = json.copy();
    copy.remove(field);
    return copy.encode();
  }

  private static String b64(String text) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String jwt(JsonObject header, JsonObject claims, String secret) {
    return jwt(header, claims, secret, "HmacSHA256");
  }

  private static String jwt(JsonObject header, JsonObject claims, String secret, String mac) {
    String signingInput = b64(header.encode()) + "." + b64(claims.encode());
    try {
      Mac hmac = Mac.getInstance(mac);
      hmac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), mac));
      return signingInput
          + "."
          + Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(hmac.doFinal(signingInput.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
