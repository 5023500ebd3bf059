package avalanche.auth;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.infra.embedded.FreePorts;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An SMTP server that is down at sign-up: the request still succeeds, and the mail arrives once it
 * is up.
 */
@ExtendWith(VertxExtension.class)
class MailRetryTest {
  private static final int SMTP_PORT = FreePorts.pick();

  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject()
              .put(
                  "smtp",
                  new JsonObject()
                      .put("host", "127.0.0.1")
                      .put("port", SMTP_PORT)
                      .put(
                          "retry",
                          new JsonObject()
                              .put("maxAttempts", 100)
                              .put("initialDelayMs", 100)
                              .put("maxDelayMs", 300))));

  private static GreenMail late;

  @AfterAll
  static void stop() {
    if (late != null) {
      late.stop();
    }
  }

  @Test
  void signupSucceedsWhileSmtpIsDownAndTheMailIsRetriedUntilItArrives(VertxTestContext test) {
    String email = AuthFlows.freshEmail();
    AuthFlows.signup(server.http(), AuthFlows.signupBody(email, "right password"))
        .compose(
            created -> {
              test.verify(() -> assertThat(created.statusCode()).isEqualTo(201));
              return Eventually.until(
                  server.vertx(), 10_000, () -> counter("retried").map(n -> n >= 3));
            })
        .compose(
            retried ->
                counter("sent")
                    .compose(
                        sent -> {
                          test.verify(
                              () -> {
                                assertThat(retried)
                                    .as("at least 3 failed attempts counted")
                                    .isTrue();
                                assertThat(sent).isZero();
                              });
                          return server
                              .vertx()
                              .executeBlocking(
                                  () -> {
                                    late =
                                        new GreenMail(
                                            new ServerSetup(
                                                SMTP_PORT, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
                                    late.start();
                                    return late;
                                  });
                        }))
        .compose(up -> AuthFlows.mail(server.vertx(), late, email, 1))
        .compose(
            mail ->
                Eventually.until(server.vertx(), 10_000, () -> counter("sent").map(n -> n == 1))
                    .map(
                        sent -> {
                          test.verify(
                              () -> {
                                assertThat(AuthFlows.link(mail))
                                    .contains("/api/auth/verify?token=");
                                assertThat(sent).as("counted as sent").isTrue();
                              });
                          return mail;
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  /** {@code avalanche_mail_total{outcome=...}} from this server's /metrics. */
  private static Future<Double> counter(String outcome) {
    return server
        .http()
        .get("/metrics")
        .send()
        .map(
            r -> {
              Matcher m =
                  Pattern.compile(
                          "(?m)^avalanche_mail_total\\{outcome=\""
                              + outcome
                              + "\",?} ([0-9.Ee+-]+)$")
                      .matcher(r.bodyAsString());
              return m.find() ? Double.parseDouble(m.group(1)) : 0.0;
            });
  }
}
