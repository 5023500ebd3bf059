package avalanche.auth;

import avalanche.infra.Channels;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands account mails to the mail verticle over the event bus ({@value Channels#MAIL_SEND}) and
 * returns at once: the verticle renders, sends and retries, so a slow or failing SMTP server never
 * holds up a request.
 */
public final class AccountMails {
  private static final Logger LOG = LoggerFactory.getLogger(AccountMails.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final DeliveryOptions LOCAL =
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(5_000);

  /** The mails there are: template name, subject, and the path the token link points at. */
  public enum Kind {
    VERIFY("verify", "Confirm your Avalanche email", "/api/auth/verify"),
    RESET("reset", "Reset your Avalanche password", "/api/auth/password/reset/confirm");

    public final String template;
    public final String subject;
    public final String path;

    Kind(String template, String subject, String path) {
      this.template = template;
      this.subject = subject;
      this.path = path;
    }
  }

  private final Vertx vertx;

  public AccountMails(Vertx vertx) {
    this.vertx = vertx;
  }

  /** A mailed token: 256 random bits, URL-safe. Only its SHA-256 is stored. */
  public static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  public static String hash(String token) {
    return SessionStore.sha256(token);
  }

  public void send(Kind kind, String to, String token) {
    JsonObject mail = new JsonObject().put("kind", kind.name()).put("to", to).put("token", token);
    vertx
        .eventBus()
        .request(Channels.MAIL_SEND, mail, LOCAL)
        .onFailure(e -> LOG.error("{} mail to {} not queued: {}", kind, to, e.getMessage()));
  }
}
