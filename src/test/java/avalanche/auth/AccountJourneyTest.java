package avalanche.auth;

import static avalanche.auth.AuthFlows.link;
import static avalanche.auth.AuthFlows.login;
import static avalanche.auth.AuthFlows.logout;
import static avalanche.auth.AuthFlows.mail;
import static avalanche.auth.AuthFlows.me;
import static avalanche.auth.AuthFlows.part;
import static avalanche.auth.AuthFlows.refresh;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import jakarta.mail.internet.MimeMessage;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole account journey over HTTP against the real servers: sign up, the mail, verify, two
 * devices, refresh rotation and reuse detection, logout of one device and of all, password reset by
 * mail.
 */
@ExtendWith(VertxExtension.class)
class AccountJourneyTest {
  private static final long SIGNUP_POINTS = 50;

  @RegisterExtension
  static final TestServer server =
      TestServer.extension(new JsonObject().put("signupPoints", SIGNUP_POINTS));

  @Test
  void signUpVerifyTwoDevicesRefreshReuseLogoutAndResetPassword(VertxTestContext test) {
    WebClient http = server.http();
    String email = AuthFlows.freshEmail();
    String shouted = "  " + email.toUpperCase() + " ";
    String password = "correct horse battery";
    String newPassword = "staple battery horse";
    Map<String, JsonObject> pairs = new HashMap<>();
    Map<String, Object> seen = new HashMap<>();

    AuthFlows.signup(http, AuthFlows.signupBody(shouted, password))
        .compose(
            signedUp -> {
              test.verify(
                  () -> {
                    assertThat(signedUp.statusCode()).isEqualTo(201);
                    assertThat(signedUp.bodyAsJsonObject().getString("status"))
                        .isEqualTo("PENDING_VERIFICATION");
                    assertThat(signedUp.bodyAsJsonObject().getString("userId")).matches("[0-9]+");
                  });
              seen.put("userId", signedUp.bodyAsJsonObject().getString("userId"));
              return mail(server.vertx(), email, 1);
            })
        .compose(
            verifyMail -> {
              String link = link(verifyMail);
              test.verify(
                  () -> {
                    assertThat(verifyMail.getSubject()).contains("Confirm");
                    assertThat(link)
                        .startsWith(
                            "http://127.0.0.1:"
                                + server.app().httpPort()
                                + "/api/auth/verify?token=");
                    assertThat(AuthFlows.token(link)).hasSizeGreaterThanOrEqualTo(22);
                    assertThat(part(verifyMail, "text/html")).contains("<a href=\"" + link + "\"");
                  });
              return http.getAbs(link).send();
            })
        .compose(
            verified -> {
              test.verify(
                  () -> {
                    assertThat(verified.statusCode()).isEqualTo(200);
                    assertThat(verified.bodyAsJsonObject())
                        .isEqualTo(new JsonObject().put("status", "ACTIVE"));
                  });
              return login(http, shouted, password, "phone");
            })
        .compose(
            phone -> {
              pairs.put("phone", ok(test, phone));
              return login(http, email, password, "laptop");
            })
        .compose(
            laptop -> {
              pairs.put("laptop", ok(test, laptop));
              test.verify(
                  () -> {
                    JsonObject pair = pairs.get("laptop");
                    assertThat(pair.getString("tokenType")).isEqualTo("Bearer");
                    assertThat(pair.getInteger("expiresIn")).isEqualTo(900);
                    assertThat(pair.getString("refreshToken")).startsWith(seen.get("userId") + ".");
                  });
              return me(http, pairs.get("phone").getString("accessToken"));
            })
        .compose(
            profile -> {
              test.verify(
                  () -> {
                    assertThat(profile.statusCode()).isEqualTo(200);
                    assertThat(profile.bodyAsJsonObject())
                        .isEqualTo(
                            new JsonObject()
                                .put("userId", seen.get("userId"))
                                .put("email", email)
                                .put("name", "Ada Lovelace")
                                .put("phone", "+44 20 7946 0958")
                                .put("address", "12 Analytical Engine Row, London")
                                .put("points", SIGNUP_POINTS)
                                .put("status", "ACTIVE"));
                  });
              return refresh(http, pairs.get("phone").getString("refreshToken"));
            })
        // Rotation: a new pair; the previous access token keeps working until it expires.
        .compose(
            rotated -> {
              pairs.put("phone2", ok(test, rotated));
              test.verify(
                  () ->
                      assertThat(pairs.get("phone2").getString("refreshToken"))
                          .isNotEqualTo(pairs.get("phone").getString("refreshToken")));
              return statuses(
                  me(http, pairs.get("phone").getString("accessToken")),
                  me(http, pairs.get("phone2").getString("accessToken")));
            })
        .compose(
            bothWork -> {
              test.verify(() -> assertThat(bothWork).containsExactly(200, 200));
              // The old refresh token is dead; presenting it again is reuse and ends the phone's
              // session.
              return refresh(http, pairs.get("phone").getString("refreshToken"));
            })
        .compose(
            reused -> {
              test.verify(
                  () -> {
                    assertThat(reused.statusCode()).isEqualTo(401);
                    assertThat(reused.bodyAsJsonObject().getString("error"))
                        .isEqualTo("INVALID_TOKEN");
                  });
              return statuses(
                  me(http, pairs.get("phone2").getString("accessToken")),
                  refresh(http, pairs.get("phone2").getString("refreshToken")),
                  me(http, pairs.get("laptop").getString("accessToken")));
            })
        .compose(
            afterReuse -> {
              test.verify(
                  () ->
                      assertThat(afterReuse)
                          .as("phone access, phone refresh, laptop access")
                          .containsExactly(401, 401, 200));
              return login(http, email, password, "phone");
            })
        .compose(
            phone3 -> {
              pairs.put("phone3", ok(test, phone3));
              return logout(http, pairs.get("laptop").getString("accessToken"), false);
            })
        .compose(
            loggedOut -> {
              test.verify(() -> assertThat(loggedOut.statusCode()).isEqualTo(204));
              return statuses(
                  me(http, pairs.get("laptop").getString("accessToken")),
                  refresh(http, pairs.get("laptop").getString("refreshToken")),
                  me(http, pairs.get("phone3").getString("accessToken")),
                  logout(http, pairs.get("laptop").getString("accessToken"), false));
            })
        .compose(
            afterLogout -> {
              test.verify(
                  () ->
                      assertThat(afterLogout)
                          .as("laptop access, laptop refresh, phone access, laptop logout")
                          .containsExactly(401, 401, 200, 401));
              return login(http, email, password, "laptop");
            })
        .compose(
            laptop2 -> {
              pairs.put("laptop2", ok(test, laptop2));
              return server.createProduct("COMMON", 10, 5);
            })
        .compose(
            productId -> {
              seen.put("productId", productId);
              return logout(http, pairs.get("phone3").getString("accessToken"), true);
            })
        .compose(
            loggedOutAll -> {
              test.verify(() -> assertThat(loggedOutAll.statusCode()).isEqualTo(204));
              return statuses(
                  me(http, pairs.get("phone3").getString("accessToken")),
                  me(http, pairs.get("laptop2").getString("accessToken")),
                  refresh(http, pairs.get("laptop2").getString("refreshToken")),
                  // The purchase route checks sessions in memory: refused at once all the same.
                  http.post("/api/products/" + seen.get("productId") + "/purchase")
                      .bearerTokenAuthentication(pairs.get("laptop2").getString("accessToken"))
                      .send());
            })
        .compose(
            afterAll -> {
              test.verify(
                  () ->
                      assertThat(afterAll)
                          .as("phone access, laptop access, laptop refresh, purchase")
                          .containsExactly(401, 401, 401, 401));
              return login(http, email, password, "tablet");
            })
        .compose(
            tablet -> {
              pairs.put("tablet", ok(test, tablet));
              return http.post("/api/auth/password/reset")
                  .sendJsonObject(new JsonObject().put("email", shouted));
            })
        .compose(
            resetAsked -> {
              test.verify(() -> assertThat(resetAsked.statusCode()).isEqualTo(202));
              return mail(server.vertx(), email, 2);
            })
        .compose(
            (MimeMessage resetMail) -> {
              String token = AuthFlows.token(link(resetMail));
              seen.put("resetToken", token);
              test.verify(
                  () -> {
                    assertThat(resetMail.getSubject()).contains("Reset");
                    assertThat(link(resetMail)).contains("token=" + token);
                  });
              return http.post("/api/auth/password/reset/confirm")
                  .sendJsonObject(
                      new JsonObject().put("token", token).put("newPassword", newPassword));
            })
        .compose(
            reset -> {
              test.verify(() -> assertThat(reset.statusCode()).isEqualTo(204));
              return statuses(
                  me(http, pairs.get("tablet").getString("accessToken")),
                  refresh(http, pairs.get("tablet").getString("refreshToken")),
                  login(http, email, password, "tablet"),
                  http.post("/api/auth/password/reset/confirm")
                      .sendJsonObject(
                          new JsonObject()
                              .put("token", seen.get("resetToken"))
                              .put("newPassword", "another password")));
            })
        .compose(
            afterReset -> {
              test.verify(
                  () ->
                      assertThat(afterReset)
                          .as("tablet access, tablet refresh, old password, token again")
                          .containsExactly(401, 401, 401, 400));
              return login(http, email, newPassword, "tablet");
            })
        .compose(withNew -> me(http, ok(test, withNew).getString("accessToken")))
        .onComplete(
            test.succeeding(
                profile ->
                    test.verify(
                        () -> {
                          assertThat(profile.statusCode()).isEqualTo(200);
                          assertThat(profile.bodyAsJsonObject().getString("email"))
                              .isEqualTo(email);
                          test.completeNow();
                        })));
  }

  @Test
  void aNewLoginOnTheSameClientReplacesItsSessionAndClientIdsAreChecked(VertxTestContext test) {
    WebClient http = server.http();
    String password = "replace me please";
    AuthFlows.verifiedAccount(server, password)
        .compose(
            email ->
                login(http, email, password, "watch")
                    .compose(
                        first ->
                            login(http, email, password, "watch")
                                .map(second -> List.of(first, second)))
                    .compose(
                        pairs -> {
                          JsonObject first = ok(test, pairs.get(0));
                          JsonObject second = ok(test, pairs.get(1));
                          return statuses(
                              me(http, first.getString("accessToken")),
                              refresh(http, first.getString("refreshToken")),
                              me(http, second.getString("accessToken")),
                              login(http, email, password, "w".repeat(65)),
                              login(http, email, password, "   "),
                              http.post("/api/auth/login")
                                  .sendJsonObject(
                                      new JsonObject()
                                          .put("email", email)
                                          .put("password", password)),
                              login(http, email, password, "w".repeat(64)));
                        }))
        .onComplete(
            test.succeeding(
                codes ->
                    test.verify(
                        () -> {
                          assertThat(codes)
                              .as(
                                  "replaced access, replaced refresh, new access, 65 chars, blank, missing, 64 chars")
                              .containsExactly(401, 401, 200, 400, 400, 400, 200);
                          test.completeNow();
                        })));
  }

  private static JsonObject ok(VertxTestContext test, HttpResponse<Buffer> response) {
    test.verify(() -> assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200));
    return response.bodyAsJsonObject();
  }

  /** The status codes of calls made together (each only reads state settled before), in order. */
  @SafeVarargs
  private static Future<java.util.List<Integer>> statuses(Future<HttpResponse<Buffer>>... calls) {
    return Future.all(java.util.List.of(calls))
        .map(
            all -> {
              java.util.List<Integer> codes = new java.util.ArrayList<>();
              for (int i = 0; i < calls.length; i++) {
                codes.add(calls[i].result().statusCode());
              }
              return codes;
            });
  }
}
