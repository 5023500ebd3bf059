package avalanche.user;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import avalanche.auth.SessionStore;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

@ExtendWith(VertxExtension.class)
class LoadTestRoutesTest {
  private static final String PATH = "/api/admin/loadtest/users";
  @RegisterExtension static final TestServer enabled = TestServer.extension();

  @RegisterExtension
  static final TestServer disabled = TestServer.extension(new JsonObject().put("loadtest", false));

  private static Future<HttpResponse<Buffer>> provision(
      TestServer server, String token, JsonObject body) {
    return server.http().post(PATH).bearerTokenAuthentication(token).sendJsonObject(body);
  }

  @Test
  void mintsTenThousandVerifiedUsersWithPointsAndLiveSessions(VertxTestContext test) {
    long started = System.nanoTime();
    enabled
        .adminToken()
        .compose(
            admin ->
                provision(enabled, admin, new JsonObject().put("count", 10_000).put("points", 750)))
        .compose(
            response -> {
              System.out.printf(
                  "provisioned 10,000 users in %d ms%n", (System.nanoTime() - started) / 1_000_000);
              test.verify(() -> assertThat(response.statusCode()).isEqualTo(200));
              JsonArray users = response.bodyAsJsonObject().getJsonArray("users");
              List<Long> ids = new ArrayList<>();
              Set<String> emails = new HashSet<>();
              for (int i = 0; i < users.size(); i++) {
                JsonObject user = users.getJsonObject(i);
                ids.add(Long.parseLong(user.getString("userId")));
                emails.add(user.getString("email"));
                test.verify(() -> assertThat(user.getString("accessToken")).isNotBlank());
              }
              test.verify(
                  () -> {
                    assertThat(users).hasSize(10_000);
                    assertThat(new HashSet<>(ids)).hasSize(10_000);
                    assertThat(emails).hasSize(10_000);
                  });
              JsonObject last = users.getJsonObject(users.size() - 1);
              Long[] idArray = ids.toArray(Long[]::new);
              return enabled
                  .pg()
                  .preparedQuery(
                      """
                  SELECT count(*) AS n, min(points) AS lo, max(points) AS hi, bool_and(status = 'ACTIVE') AS active,
                         bool_and(verified_at IS NOT NULL) AS verified
                  FROM users WHERE id = ANY($1)""")
                  .execute(Tuple.of(idArray))
                  .compose(
                      rows -> {
                        Row row = rows.iterator().next();
                        test.verify(
                            () -> {
                              assertThat(row.getLong("n")).isEqualTo(10_000L);
                              assertThat(row.getLong("lo")).isEqualTo(750L);
                              assertThat(row.getLong("hi")).isEqualTo(750L);
                              assertThat(row.getBoolean("active")).isTrue();
                              assertThat(row.getBoolean("verified")).isTrue();
                            });
                        long userId = Long.parseLong(last.getString("userId"));
                        return enabled
                            .redis()
                            .send(
                                Request.cmd(Command.HGET)
                                    .arg(SessionStore.sessionsKey(userId))
                                    .arg(LoadTestRoutes.CLIENT_ID));
                      })
                  .compose(
                      sid -> {
                        test.verify(() -> assertThat(sid).isNotNull());
                        return enabled
                            .redis()
                            .send(
                                Request.cmd(Command.EXISTS)
                                    .arg(
                                        SessionStore.sessionKey(
                                            Long.parseLong(last.getString("userId")),
                                            sid.toString())));
                      })
                  .compose(
                      exists -> {
                        test.verify(() -> assertThat(exists.toInteger()).isEqualTo(1));
                        return enabled
                            .http()
                            .get("/api/orders")
                            .bearerTokenAuthentication(last.getString("accessToken"))
                            .send();
                      })
                  .map(
                      orders -> {
                        test.verify(
                            () -> {
                              assertThat(orders.statusCode()).isEqualTo(200);
                              assertThat(orders.bodyAsJsonObject().getLong("total")).isZero();
                            });
                        return orders;
                      });
            })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void provisionedUsersCanBuyButCannotLogInWithAPassword(VertxTestContext test) {
    enabled
        .adminToken()
        .compose(
            admin -> provision(enabled, admin, new JsonObject().put("count", 2).put("points", 100)))
        .compose(
            response -> {
              JsonObject user = response.bodyAsJsonObject().getJsonArray("users").getJsonObject(0);
              return enabled
                  .createProduct("COMMON", 10, 5)
                  .compose(
                      productId ->
                          enabled
                              .http()
                              .post("/api/products/" + productId + "/purchase")
                              .bearerTokenAuthentication(user.getString("accessToken"))
                              .send())
                  .compose(
                      purchase -> {
                        test.verify(
                            () -> {
                              assertThat(purchase.statusCode()).isEqualTo(202);
                              assertThat(purchase.bodyAsJsonObject().getString("outcome"))
                                  .isEqualTo("RESERVED");
                            });
                        return settled(
                            purchase.getHeader("Location"),
                            user.getString("accessToken"),
                            System.currentTimeMillis() + 20_000);
                      })
                  .compose(
                      order -> {
                        // No address given with the purchase: the stored one lets the shipment, and
                        // so the order, go through.
                        test.verify(
                            () ->
                                assertThat(order.getString("status"))
                                    .as(order.encode())
                                    .isEqualTo("COMPLETED"));
                        return enabled
                            .http()
                            .post("/api/auth/login")
                            .sendJsonObject(
                                new JsonObject()
                                    .put("email", user.getString("email"))
                                    .put("password", "any-password-at-all")
                                    .put("clientId", "web"));
                      });
            })
        .map(
            login -> {
              test.verify(
                  () -> {
                    assertThat(login.statusCode()).isEqualTo(401);
                    assertThat(login.bodyAsJsonObject().getString("error"))
                        .isEqualTo("INVALID_CREDENTIALS");
                  });
              return login;
            })
        .onComplete(test.succeedingThenComplete());
  }

  /** The order at {@code location} once it is no longer PENDING (or as it is at the deadline). */
  private static Future<JsonObject> settled(String location, String token, long deadline) {
    return enabled
        .http()
        .get(location)
        .bearerTokenAuthentication(token)
        .send()
        .compose(
            response -> {
              JsonObject order = response.bodyAsJsonObject();
              if (!"PENDING".equals(order.getString("status"))
                  || System.currentTimeMillis() > deadline) {
                return Future.succeededFuture(order);
              }
              return enabled.vertx().timer(100).compose(t -> settled(location, token, deadline));
            });
  }

  @Test
  void pointsDefaultToZero(VertxTestContext test) {
    enabled
        .adminToken()
        .compose(admin -> provision(enabled, admin, new JsonObject().put("count", 1)))
        .compose(
            response -> {
              test.verify(() -> assertThat(response.statusCode()).isEqualTo(200));
              String userId =
                  response
                      .bodyAsJsonObject()
                      .getJsonArray("users")
                      .getJsonObject(0)
                      .getString("userId");
              return enabled
                  .pg()
                  .preparedQuery("SELECT points FROM users WHERE id = $1")
                  .execute(Tuple.of(Long.parseLong(userId)));
            })
        .map(
            rows -> {
              test.verify(() -> assertThat(rows.iterator().next().getLong("points")).isZero());
              return rows;
            })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void rejectsCountsOutsideOneToTenThousandAndBadPoints(VertxTestContext test) {
    List<JsonObject> bodies =
        List.of(
            new JsonObject().put("count", 0).put("points", 10),
            new JsonObject().put("count", 10_001).put("points", 10),
            new JsonObject().put("count", -1),
            new JsonObject().put("count", "ten"),
            new JsonObject().put("points", 10),
            new JsonObject().put("count", 1).put("points", -5),
            new JsonObject().put("count", 1.5));
    enabled
        .adminToken()
        .compose(
            admin -> {
              List<Future<HttpResponse<Buffer>>> answers = new ArrayList<>();
              for (JsonObject body : bodies) {
                answers.add(provision(enabled, admin, body));
              }
              answers.add(
                  enabled
                      .http()
                      .post(PATH)
                      .bearerTokenAuthentication(admin)
                      .putHeader("Content-Type", "application/json")
                      .sendBuffer(Buffer.buffer("{not json")));
              return Future.all(answers).map(all -> answers);
            })
        .map(
            answers -> {
              test.verify(
                  () -> {
                    for (Future<HttpResponse<Buffer>> answer : answers) {
                      assertThat(answer.result().statusCode()).isEqualTo(400);
                      assertThat(answer.result().bodyAsJsonObject().getString("error"))
                          .isEqualTo("VALIDATION_FAILED");
                    }
                  });
              return answers;
            })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void refusesNonAdminsAndAnonymousCallers(VertxTestContext test) {
    JsonObject body = new JsonObject().put("count", 1).put("points", 1);
    Future<HttpResponse<Buffer>> user = provision(enabled, enabled.token(123_456_789L), body);
    Future<HttpResponse<Buffer>> anonymous = enabled.http().post(PATH).sendJsonObject(body);
    Future.all(user, anonymous)
        .map(
            both -> {
              test.verify(
                  () -> {
                    assertThat(user.result().statusCode()).isEqualTo(403);
                    assertThat(user.result().bodyAsJsonObject().getString("error"))
                        .isEqualTo("FORBIDDEN");
                    assertThat(anonymous.result().statusCode()).isEqualTo(401);
                    assertThat(anonymous.result().bodyAsJsonObject().getString("error"))
                        .isEqualTo("UNAUTHORIZED");
                  });
              return both;
            })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void doesNotExistWhenDisabled(VertxTestContext test) {
    disabled
        .adminToken()
        .compose(
            admin -> provision(disabled, admin, new JsonObject().put("count", 1).put("points", 1)))
        .map(
            response -> {
              test.verify(
                  () -> {
                    assertThat(response.statusCode()).isEqualTo(404);
                    assertThat(response.bodyAsJsonObject().getString("error"))
                        .isEqualTo("NOT_FOUND");
                  });
              return response;
            })
        .onComplete(test.succeedingThenComplete());
  }
}
