package avalanche.auth;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.infra.Channels;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Access tokens that must be refused, the admin gate, and the session check on the purchase hot
 * path.
 */
@ExtendWith(VertxExtension.class)
class TokenSecurityTest {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  // Redis counts EXISTS server-wide, scripts' calls included: while a test counts the routes' own
  // calls, no saga
  // may run check_stock.lua (orders stay in the outbox) and no periodic repair its EXISTS per
  // product.
  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject()
              .put("verticles", new JsonObject().put("outboxRelay", 0))
              .put("stock", new JsonObject().put("repairIntervalMs", 3_600_000)));

  @Test
  void tamperedUnsignedForeignAndSessionlessTokensAre401(VertxTestContext test) {
    server
        .createUsers(2, 0)
        .compose(
            users -> {
              String valid = server.token(users.get(0));
              String[] parts = valid.split("\\.");
              JsonObject claims =
                  new JsonObject(
                      new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
              String otherUser =
                  B64.encodeToString(
                      claims.copy().put("sub", users.get(1).toString()).toBuffer().getBytes());
              String flipped =
                  parts[2].charAt(0) == 'A'
                      ? "B" + parts[2].substring(1)
                      : "A" + parts[2].substring(1);
              String none =
                  B64.encodeToString(
                      "{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
              JsonObject unsigned = claims.copy();
              unsigned.remove("exp");
              unsigned.remove("iat");
              JsonObject sessionless = unsigned.copy();
              sessionless.remove("sid");
              List<String> refused =
                  List.of(
                      parts[0] + "." + otherUser + "." + parts[2],
                      parts[0] + "." + parts[1] + "." + flipped,
                      none + "." + parts[1] + ".",
                      none + "." + parts[1],
                      sign("another-secret-another-secret-another-secret", unsigned),
                      sign(TestServer.JWT_SECRET, sessionless),
                      "not.a.jwt",
                      "");
              List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
              calls.add(AuthFlows.me(server.http(), valid));
              refused.forEach(
                  token ->
                      calls.add(
                          server
                              .http()
                              .get("/api/users/me")
                              .putHeader("Authorization", "Bearer " + token)
                              .send()));
              calls.add(
                  server
                      .http()
                      .get("/api/users/me")
                      .putHeader("Authorization", "Basic " + valid)
                      .send());
              return Future.all(calls)
                  .map(
                      all -> {
                        test.verify(
                            () -> {
                              assertThat(calls.get(0).result().statusCode()).isEqualTo(200);
                              for (int i = 1; i < calls.size(); i++) {
                                HttpResponse<Buffer> r = calls.get(i).result();
                                assertThat(r.statusCode()).as("token %d", i).isEqualTo(401);
                                assertThat(r.bodyAsJsonObject().getString("error"))
                                    .isEqualTo("UNAUTHORIZED");
                              }
                            });
                        return all;
                      });
            })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void adminEndpointsRefuseOthersWith403(VertxTestContext test) {
    server
        .createUsers(1, 0)
        .compose(
            users -> {
              String user = server.token(users.get(0));
              return Future.all(
                  server
                      .http()
                      .post("/api/admin/products")
                      .bearerTokenAuthentication(user)
                      .sendJsonObject(
                          new JsonObject()
                              .put("name", "x")
                              .put("price", 1)
                              .put("stock", 1)
                              .put("grade", "COMMON")),
                  server
                      .http()
                      .get("/api/admin/products/1/stats")
                      .bearerTokenAuthentication(user)
                      .send(),
                  server.createProduct("COMMON", 1, 1));
            })
        .onComplete(
            test.succeeding(
                all ->
                    test.verify(
                        () -> {
                          for (int i = 0; i < 2; i++) {
                            HttpResponse<Buffer> r = all.resultAt(i);
                            assertThat(r.statusCode()).isEqualTo(403);
                            assertThat(r.bodyAsJsonObject().getString("error"))
                                .isEqualTo("FORBIDDEN");
                          }
                          assertThat((Long) all.resultAt(2)).as("the admin passes").isPositive();
                          test.completeNow();
                        })));
  }

  /** The purchase route asks memory, not Redis; other authenticated routes ask Redis once. */
  @Test
  void purchaseRouteChecksSessionsWithoutARedisRoundTrip(VertxTestContext test) {
    int calls = 20;
    server
        .createProduct("COMMON", 1, 1_000)
        .compose(
            productId ->
                server
                    .createUsers(calls, 0)
                    .compose(
                        users -> {
                          List<String> tokens = users.stream().map(server::token).toList();
                          return commandCalls("exists")
                              .compose(
                                  before ->
                                      sequentially(
                                              tokens,
                                              token ->
                                                  server
                                                      .http()
                                                      .post(
                                                          "/api/products/"
                                                              + productId
                                                              + "/purchase")
                                                      .bearerTokenAuthentication(token)
                                                      .send())
                                          .compose(
                                              purchases ->
                                                  commandCalls("exists")
                                                      .compose(
                                                          afterPurchases ->
                                                              sequentially(
                                                                      tokens,
                                                                      token ->
                                                                          AuthFlows.me(
                                                                              server.http(), token))
                                                                  .compose(
                                                                      profiles ->
                                                                          commandCalls("exists")
                                                                              .map(
                                                                                  afterProfiles -> {
                                                                                    test.verify(
                                                                                        () -> {
                                                                                          purchases
                                                                                              .forEach(
                                                                                                  r ->
                                                                                                      assertThat(
                                                                                                              r
                                                                                                                  .statusCode())
                                                                                                          .as(
                                                                                                              r
                                                                                                                  .bodyAsString())
                                                                                                          .isEqualTo(
                                                                                                              202));
                                                                                          profiles
                                                                                              .forEach(
                                                                                                  r ->
                                                                                                      assertThat(
                                                                                                              r
                                                                                                                  .statusCode())
                                                                                                          .isEqualTo(
                                                                                                              200));
                                                                                          assertThat(
                                                                                                  afterPurchases
                                                                                                      - before)
                                                                                              .as(
                                                                                                  "EXISTS calls for %d purchases",
                                                                                                  calls)
                                                                                              .isZero();
                                                                                          assertThat(
                                                                                                  afterProfiles
                                                                                                      - afterPurchases)
                                                                                              .as(
                                                                                                  "EXISTS calls for %d profile reads",
                                                                                                  calls)
                                                                                              .isEqualTo(
                                                                                                  calls);
                                                                                        });
                                                                                    return afterProfiles;
                                                                                  })))));
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  /**
   * Another process ends a session (no local cache here): the feed brings it to this one's purchase
   * route.
   */
  @Test
  void aSessionEndedByAnotherProcessIsRefusedOnThePurchaseRoute(VertxTestContext test) {
    SessionStore elsewhere =
        new SessionStore(
            server.redis(),
            new JwtTokens(server.vertx(), server.app().settings().jwt()),
            server.app().settings().jwt());
    server
        .createProduct("COMMON", 1, 1_000)
        .compose(
            productId ->
                server
                    .createUsers(1, 0)
                    .compose(
                        users -> {
                          String token = server.token(users.get(0));
                          return purchase(productId, token)
                              .compose(first -> elsewhere.end(users.get(0), sid(token)).map(first))
                              .compose(
                                  first ->
                                      Eventually.until(
                                              server.vertx(),
                                              5_000,
                                              () ->
                                                  purchase(productId, token)
                                                      .map(r -> r.statusCode() == 401))
                                          .map(
                                              refused -> {
                                                test.verify(
                                                    () -> {
                                                      assertThat(first.statusCode()).isEqualTo(202);
                                                      assertThat(refused)
                                                          .as("refused within 5 s")
                                                          .isTrue();
                                                    });
                                                return refused;
                                              }));
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  /** A dropped feed connection: it reconnects and resumes after its last entry, missing nothing. */
  @Test
  void theFeedResumesAfterItsConnectionIsKilled(VertxTestContext test) {
    RevocationCache cache = RevocationCache.of(server.vertx());
    String missed = UUID.randomUUID().toString();
    server
        .redis()
        .send(Request.cmd(Command.CLIENT).arg("LIST"))
        .compose(
            list -> {
              Matcher m = Pattern.compile("id=(\\d+) [^\\n]*cmd=xread").matcher(list.toString());
              List<Future<?>> kills = new ArrayList<>();
              while (m.find()) {
                kills.add(
                    server
                        .redis()
                        .send(Request.cmd(Command.CLIENT).arg("KILL").arg("ID").arg(m.group(1))));
              }
              test.verify(() -> assertThat(kills).as("feed connections").isNotEmpty());
              return Future.all(kills);
            })
        // Written while the feed is down: no process announced it to this cache directly.
        .compose(
            killed ->
                server
                    .redis()
                    .send(
                        Request.cmd(Command.XADD)
                            .arg(Channels.SESSION_REVOKED)
                            .arg("*")
                            .arg(RevocationLog.FIELD)
                            .arg(missed)))
        .compose(
            added ->
                Eventually.until(
                    server.vertx(),
                    10_000,
                    () -> Future.succeededFuture(cache.live() && cache.isRevoked(missed))))
        .onComplete(
            test.succeeding(
                caughtUp ->
                    test.verify(
                        () -> {
                          assertThat(caughtUp)
                              .as("live again with the entry written while down")
                              .isTrue();
                          test.completeNow();
                        })));
  }

  /**
   * While the feed is not live, the cached check asks Redis; a revoked sid is refused either way.
   */
  @Test
  void theCachedCheckFallsBackToRedisWhileTheFeedIsDown(VertxTestContext test) {
    RevocationCache down = new RevocationCache();
    SessionStore sessions =
        new SessionStore(
            server.redis(),
            new JwtTokens(server.vertx(), server.app().settings().jwt()),
            server.app().settings().jwt());
    SessionCheck check = SessionCheck.cached(down, sessions);
    server
        .createUsers(2, 0)
        .compose(
            users -> {
              String alive = sid(server.token(users.get(0)));
              String revoked = sid(server.token(users.get(1)));
              down.revoke(List.of(revoked), Long.MAX_VALUE);
              return Future.all(
                  check.alive(
                      new UserContext(
                          users.get(0),
                          List.of("USER"),
                          alive,
                          "x",
                          System.currentTimeMillis() / 1000)),
                  check.alive(
                      new UserContext(
                          users.get(0),
                          List.of("USER"),
                          UUID.randomUUID().toString(),
                          "x",
                          System.currentTimeMillis() / 1000)),
                  check.alive(
                      new UserContext(
                          users.get(1),
                          List.of("USER"),
                          revoked,
                          "x",
                          System.currentTimeMillis() / 1000)));
            })
        .onComplete(
            test.succeeding(
                all ->
                    test.verify(
                        () -> {
                          assertThat(List.of(all.resultAt(0), all.resultAt(1), all.resultAt(2)))
                              .containsExactly(true, false, false);
                          test.completeNow();
                        })));
  }

  private static String sign(String secret, JsonObject claims) {
    JWTAuth jwt =
        JWTAuth.create(
            server.vertx(),
            new JWTAuthOptions()
                .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    return jwt.generateToken(
        claims, new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(600));
  }

  private static String sid(String accessToken) {
    return new JsonObject(
            new String(
                Base64.getUrlDecoder().decode(accessToken.split("\\.")[1]), StandardCharsets.UTF_8))
        .getString("sid");
  }

  private static Future<HttpResponse<Buffer>> purchase(long productId, String token) {
    return server
        .http()
        .post("/api/products/" + productId + "/purchase")
        .bearerTokenAuthentication(token)
        .send();
  }

  /** How many times Redis ran this command so far ({@code INFO commandstats}). */
  private static Future<Long> commandCalls(String command) {
    return server
        .redis()
        .send(Request.cmd(Command.INFO).arg("commandstats"))
        .map(
            info -> {
              Matcher m =
                  Pattern.compile("cmdstat_" + command + ":calls=(\\d+)").matcher(info.toString());
              return m.find() ? Long.parseLong(m.group(1)) : 0L;
            });
  }

  private static <T> Future<List<HttpResponse<Buffer>>> sequentially(
      List<T> items, java.util.function.Function<T, Future<HttpResponse<Buffer>>> call) {
    Future<List<HttpResponse<Buffer>>> chain = Future.succeededFuture(new ArrayList<>());
    for (T item : items) {
      chain =
          chain.compose(
              done ->
                  call.apply(item)
                      .map(
                          r -> {
                            done.add(r);
                            return done;
                          }));
    }
    return chain;
  }
}
