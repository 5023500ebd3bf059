package avalanche.auth;

import avalanche.TestServer;
import com.icegreen.greenmail.util.GreenMail;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import jakarta.mail.Address;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;
import java.util.Arrays;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The account calls over HTTP, and reading the mails they send from the in-process SMTP server. */
public final class AuthFlows {
  static final Pattern TOKEN = Pattern.compile("token=([A-Za-z0-9_-]+)");

  private AuthFlows() {}

  public static String freshEmail() {
    return "a-" + UUID.randomUUID() + "@avalanche.test";
  }

  public static JsonObject signupBody(String email, String password) {
    return new JsonObject()
        .put("email", email)
        .put("password", password)
        .put("name", "Ada Lovelace")
        .put("phone", "+44 20 7946 0958")
        .put("address", "12 Analytical Engine Row, London");
  }

  static Future<HttpResponse<Buffer>> signup(WebClient http, JsonObject body) {
    return http.post("/api/auth/signup").sendJsonObject(body);
  }

  static Future<HttpResponse<Buffer>> login(
      WebClient http, String email, String password, String clientId) {
    return http.post("/api/auth/login")
        .sendJsonObject(
            new JsonObject()
                .put("email", email)
                .put("password", password)
                .put("clientId", clientId));
  }

  static Future<HttpResponse<Buffer>> refresh(WebClient http, String refreshToken) {
    return http.post("/api/auth/refresh")
        .sendJsonObject(new JsonObject().put("refreshToken", refreshToken));
  }

  static Future<HttpResponse<Buffer>> me(WebClient http, String accessToken) {
    return http.get("/api/users/me").bearerTokenAuthentication(accessToken).send();
  }

  static Future<HttpResponse<Buffer>> logout(WebClient http, String accessToken, boolean all) {
    return http.post("/api/auth/logout" + (all ? "?all=true" : ""))
        .bearerTokenAuthentication(accessToken)
        .send();
  }

  static Future<HttpResponse<Buffer>> verify(WebClient http, String token) {
    return http.get("/api/auth/verify?token=" + token).send();
  }

  static GreenMail greenMail() {
    return TestServer.infrastructure().smtp().greenMail();
  }

  /**
   * Waits (up to 10 s) until {@code count} mails for {@code email} arrived at the shared SMTP sink.
   */
  public static Future<MimeMessage> mail(Vertx vertx, String email, int count) {
    return mail(vertx, greenMail(), email, count);
  }

  static Future<MimeMessage> mail(Vertx vertx, GreenMail greenMail, String email, int count) {
    Promise<MimeMessage> found = Promise.promise();
    long deadline = System.currentTimeMillis() + 10_000;
    vertx.setPeriodic(
        20,
        20,
        timer -> {
          MimeMessage[] mails =
              Arrays.stream(greenMail.getReceivedMessages())
                  .filter(m -> sentTo(m, email))
                  .toArray(MimeMessage[]::new);
          if (mails.length >= count) {
            vertx.cancelTimer(timer);
            found.complete(mails[count - 1]);
          } else if (System.currentTimeMillis() > deadline) {
            vertx.cancelTimer(timer);
            found.fail(
                "no mail #"
                    + count
                    + " to "
                    + email
                    + " within 10 s ("
                    + mails.length
                    + " arrived)");
          }
        });
    return found.future();
  }

  private static boolean sentTo(MimeMessage mail, String email) {
    try {
      for (Address to : mail.getAllRecipients()) {
        if (to.toString().equalsIgnoreCase(email)) {
          return true;
        }
      }
      return false;
    } catch (jakarta.mail.MessagingException e) {
      return false;
    }
  }

  /** The decoded part of a multipart mail with this content type ("text/plain", "text/html"). */
  static String part(MimeMessage mail, String type) {
    try {
      Multipart multipart = (Multipart) mail.getContent();
      for (int i = 0; i < multipart.getCount(); i++) {
        BodyPart part = multipart.getBodyPart(i);
        if (part.isMimeType(type)) {
          return part.getContent().toString();
        }
      }
      throw new AssertionError("no " + type + " part in the mail");
    } catch (java.io.IOException | jakarta.mail.MessagingException e) {
      throw new AssertionError("unreadable mail", e);
    }
  }

  /** The link in the plain-text part that holds {@code token=}. */
  public static String link(MimeMessage mail) {
    Matcher m = Pattern.compile("(http\\S*token=[A-Za-z0-9_-]+)").matcher(part(mail, "text/plain"));
    if (!m.find()) {
      throw new AssertionError("no token link in the mail");
    }
    return m.group(1);
  }

  public static String token(String link) {
    Matcher m = TOKEN.matcher(link);
    if (!m.find()) {
      throw new AssertionError("no token in " + link);
    }
    return m.group(1);
  }

  /** Signs up, follows the mailed link, and answers the verified account's email. */
  public static Future<String> verifiedAccount(TestServer server, String password) {
    String email = freshEmail();
    return signup(server.http(), signupBody(email, password))
        .compose(
            r -> {
              if (r.statusCode() != 201) {
                return Future.failedFuture("signup: " + r.statusCode() + " " + r.bodyAsString());
              }
              return mail(server.vertx(), email, 1);
            })
        .compose(mail -> verify(server.http(), token(link(mail))))
        .compose(
            r ->
                r.statusCode() == 200
                    ? Future.succeededFuture(email)
                    : Future.failedFuture("verify: " + r.statusCode() + " " + r.bodyAsString()));
  }
}
