package avalanche.auth;

import static avalanche.auth.AuthFlows.freshEmail;
import static avalanche.auth.AuthFlows.link;
import static avalanche.auth.AuthFlows.login;
import static avalanche.auth.AuthFlows.mail;
import static avalanche.auth.AuthFlows.signup;
import static avalanche.auth.AuthFlows.signupBody;
import static avalanche.auth.AuthFlows.token;
import static avalanche.auth.AuthFlows.verify;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sign-up input rules, verification tokens (single use, expiry, resend), and personal data at rest.
 */
@ExtendWith(VertxExtension.class)
class SignupAndVerifyTest {
  private static final long SIGNUP_POINTS = 25;

  @RegisterExtension
  static final TestServer server =
      TestServer.extension(new JsonObject().put("signupPoints", SIGNUP_POINTS));

  /** Verification links that expire after one second. */
  @RegisterExtension
  static final TestServer shortLived =
      TestServer.extension(
          new JsonObject().put("auth", new JsonObject().put("verifyTokenTtlSeconds", 1)));

  @Test
  void rejectsBadInputWith400(VertxTestContext test) {
    String email = freshEmail();
    var cases =
        java.util.List.of(
            signupBody(email, "short7!"),
            signupBody("not-an-email", "long enough"),
            signupBody("two@@avalanche.test", "long enough"),
            signupBody(email, "long enough").put("name", ""),
            signupBody(email, "long enough").put("name", "x".repeat(101)),
            signupBody(email, "long enough").put("address", "x".repeat(501)),
            signupBody(email, "long enough").put("phone", "call me"),
            signupBody(email, "long enough").put("phone", 12345678),
            signupBody(email, "long enough").put("password", "p".repeat(129)),
            signupBody(email, "long enough").putNull("email"));
    Future.all(cases.stream().map(body -> signup(server.http(), body)).toList())
        .compose(
            all ->
                server
                    .http()
                    .post("/api/auth/signup")
                    .putHeader("Content-Type", "application/json")
                    .sendBuffer(Buffer.buffer("{\"email\":"))
                    .map(
                        malformed -> {
                          test.verify(
                              () -> {
                                for (int i = 0; i < cases.size(); i++) {
                                  HttpResponse<Buffer> r = all.resultAt(i);
                                  assertThat(r.statusCode())
                                      .as("case %d: %s", i, r.bodyAsString())
                                      .isEqualTo(400);
                                  assertThat(r.bodyAsJsonObject().getString("error"))
                                      .isEqualTo("VALIDATION_FAILED");
                                }
                                assertThat(
                                        all.<HttpResponse<Buffer>>resultAt(0)
                                            .bodyAsJsonObject()
                                            .getString("message"))
                                    .contains("weak");
                                assertThat(malformed.statusCode()).isEqualTo(400);
                              });
                          return malformed;
                        }))
        // None of them created an account.
        .compose(
            done ->
                server
                    .pg()
                    .preparedQuery("SELECT count(*) FROM users WHERE email = $1")
                    .execute(Tuple.of(email)))
        .onComplete(
            test.succeeding(
                rows ->
                    test.verify(
                        () -> {
                          assertThat(rows.iterator().next().getLong(0)).isZero();
                          test.completeNow();
                        })));
  }

  @Test
  void duplicateEmailIsTakenWhateverItsCase(VertxTestContext test) {
    String email = freshEmail();
    signup(server.http(), signupBody(email, "first password"))
        .compose(
            first ->
                signup(server.http(), signupBody(" " + email.toUpperCase(), "second password"))
                    .map(
                        second -> {
                          test.verify(
                              () -> {
                                assertThat(first.statusCode()).isEqualTo(201);
                                assertThat(second.statusCode()).isEqualTo(409);
                                assertThat(second.bodyAsJsonObject().getString("error"))
                                    .isEqualTo("EMAIL_TAKEN");
                              });
                          return second;
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void unverifiedLoginIs403AndAWrongPasswordStill401(VertxTestContext test) {
    String email = freshEmail();
    signup(server.http(), signupBody(email, "right password"))
        .compose(created -> login(server.http(), email, "right password", "web"))
        .compose(
            unverified ->
                login(server.http(), email, "wrong password", "web")
                    .map(
                        wrong -> {
                          test.verify(
                              () -> {
                                assertThat(unverified.statusCode()).isEqualTo(403);
                                assertThat(unverified.bodyAsJsonObject().getString("error"))
                                    .isEqualTo("EMAIL_NOT_VERIFIED");
                                assertThat(wrong.statusCode()).isEqualTo(401);
                                assertThat(wrong.bodyAsJsonObject().getString("error"))
                                    .isEqualTo("INVALID_CREDENTIALS");
                              });
                          return wrong;
                        }))
        .compose(done -> login(server.http(), freshEmail(), "right password", "web"))
        .onComplete(
            test.succeeding(
                unknown ->
                    test.verify(
                        () -> {
                          assertThat(unknown.statusCode()).isEqualTo(401);
                          assertThat(unknown.bodyAsJsonObject().getString("error"))
                              .isEqualTo("INVALID_CREDENTIALS");
                          test.completeNow();
                        })));
  }

  @Test
  void aVerificationTokenWorksOnceAndCreditsSignupPointsOnce(VertxTestContext test) {
    String email = freshEmail();
    signup(server.http(), signupBody(email, "right password"))
        .compose(created -> mail(server.vertx(), email, 1))
        .compose(
            mail -> {
              String token = token(link(mail));
              return verify(server.http(), token)
                  .compose(
                      first ->
                          verify(server.http(), token)
                              .map(
                                  second -> {
                                    test.verify(
                                        () -> {
                                          assertThat(first.statusCode()).isEqualTo(200);
                                          assertThat(second.statusCode()).isEqualTo(400);
                                          assertThat(second.bodyAsJsonObject().getString("error"))
                                              .isEqualTo("INVALID_TOKEN");
                                        });
                                    return second;
                                  }));
            })
        .compose(
            done ->
                Future.all(
                    verify(server.http(), "unknown-token"),
                    server.http().get("/api/auth/verify").send(),
                    points(email)))
        .onComplete(
            test.succeeding(
                all ->
                    test.verify(
                        () -> {
                          HttpResponse<Buffer> unknown = all.resultAt(0);
                          HttpResponse<Buffer> missing = all.resultAt(1);
                          assertThat(unknown.statusCode()).isEqualTo(400);
                          assertThat(unknown.bodyAsJsonObject().getString("error"))
                              .isEqualTo("INVALID_TOKEN");
                          assertThat(missing.statusCode()).isEqualTo(400);
                          assertThat((Long) all.resultAt(2)).isEqualTo(SIGNUP_POINTS);
                          test.completeNow();
                        })));
  }

  @Test
  void anExpiredVerificationTokenIsRefused(VertxTestContext test) {
    String email = freshEmail();
    signup(shortLived.http(), signupBody(email, "right password"))
        .compose(created -> mail(shortLived.vertx(), email, 1))
        .compose(mail -> sleep(1_500).map(slept -> token(link(mail))))
        .compose(token -> verify(shortLived.http(), token))
        .compose(
            expired ->
                login(shortLived.http(), email, "right password", "web")
                    .map(
                        login -> {
                          test.verify(
                              () -> {
                                assertThat(expired.statusCode()).isEqualTo(400);
                                assertThat(expired.bodyAsJsonObject().getString("error"))
                                    .isEqualTo("INVALID_TOKEN");
                                assertThat(login.statusCode()).isEqualTo(403);
                              });
                          return login;
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void resendMailsANewLinkAndAnswers202ForAnyEmail(VertxTestContext test) {
    String email = freshEmail();
    signup(server.http(), signupBody(email, "right password"))
        .compose(created -> mail(server.vertx(), email, 1))
        .compose(
            first ->
                Future.all(resend(" " + email.toUpperCase()), resend(freshEmail()))
                    .compose(
                        answers -> {
                          test.verify(
                              () -> {
                                assertThat(answers.<HttpResponse<Buffer>>resultAt(0).statusCode())
                                    .isEqualTo(202);
                                assertThat(answers.<HttpResponse<Buffer>>resultAt(1).statusCode())
                                    .isEqualTo(202);
                              });
                          return mail(server.vertx(), email, 2);
                        })
                    .compose(
                        second -> {
                          String firstToken = token(link(first));
                          String secondToken = token(link(second));
                          test.verify(() -> assertThat(secondToken).isNotEqualTo(firstToken));
                          return verify(server.http(), secondToken)
                              .compose(
                                  ok ->
                                      verify(server.http(), firstToken)
                                          .map(
                                              stale -> {
                                                test.verify(
                                                    () -> {
                                                      assertThat(ok.statusCode()).isEqualTo(200);
                                                      // Verified: the account's other verification
                                                      // links are spent too.
                                                      assertThat(stale.statusCode()).isEqualTo(400);
                                                    });
                                                return stale;
                                              }));
                        }))
        .compose(
            done -> server.http().post("/api/auth/verify/resend").sendJsonObject(new JsonObject()))
        .onComplete(
            test.succeeding(
                noEmail ->
                    test.verify(
                        () -> {
                          assertThat(noEmail.statusCode()).isEqualTo(400);
                          test.completeNow();
                        })));
  }

  @Test
  void personalDataIsEncryptedAndThePasswordHashedAtRest(VertxTestContext test) {
    String email = freshEmail();
    String name = "Zebulon Quixote-Marchetti";
    String phone = "+82 10-9876-5432";
    String address = "221B Baker Street, Marylebone, London";
    JsonObject body =
        signupBody(email, "plain password 1")
            .put("name", name)
            .put("phone", phone)
            .put("address", address);
    String twin = freshEmail();
    signup(server.http(), body)
        .compose(created -> signup(server.http(), body.copy().put("email", twin)))
        .compose(
            created ->
                server
                    .pg()
                    .preparedQuery(
                        """
                SELECT email, password_hash, name_enc, phone_enc, address_enc FROM users WHERE email = ANY($1)
                ORDER BY email = $2 DESC""")
                    .execute(Tuple.of(new String[] {email, twin}, email)))
        .onComplete(
            test.succeeding(
                rows ->
                    test.verify(
                        () -> {
                          var it = rows.iterator();
                          Row row = it.next();
                          Row twinRow = it.next();
                          assertThat(row.getString("email")).isEqualTo(email);
                          assertThat(row.getString("password_hash"))
                              .startsWith("$argon2id$")
                              .doesNotContain("plain password 1");
                          String[] plain = {name, phone, address};
                          String[] columns = {"name_enc", "phone_enc", "address_enc"};
                          for (int i = 0; i < columns.length; i++) {
                            byte[] sealed = row.getBuffer(columns[i]).getBytes();
                            assertThat(new String(sealed, StandardCharsets.ISO_8859_1))
                                .doesNotContain(plain[i])
                                .doesNotContain(plain[i].substring(0, 6));
                            // A fresh nonce per value: the same plaintext never seals to the same
                            // bytes.
                            assertThat(sealed)
                                .isNotEqualTo(twinRow.getBuffer(columns[i]).getBytes());
                          }
                          test.completeNow();
                        })));
  }

  private Future<HttpResponse<Buffer>> resend(String email) {
    return server
        .http()
        .post("/api/auth/verify/resend")
        .sendJsonObject(new JsonObject().put("email", email));
  }

  private Future<Long> points(String email) {
    return server
        .pg()
        .preparedQuery("SELECT points FROM users WHERE email = $1")
        .execute(Tuple.of(email))
        .map(rows -> rows.iterator().next().getLong("points"));
  }

  private static Future<Void> sleep(long ms) {
    Promise<Void> done = Promise.promise();
    server.vertx().setTimer(ms, id -> done.complete());
    return done.future();
  }
}
