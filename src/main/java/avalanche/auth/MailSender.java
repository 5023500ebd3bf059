package avalanche.auth;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailMessage;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renders an account mail and sends it through SMTP. A failed send is retried with exponential
 * backoff (config {@code smtp.retry}); every failure is logged and counted in {@code
 * avalanche_mail_total{outcome="retried"|"dropped"}}, successes in {@code outcome="sent"}. Pending
 * retries live in memory: a mail still failing when the process stops is lost (the user can ask for
 * it again). With the embedded SMTP sink the link is also logged, so a newcomer can click it.
 */
public final class MailSender {
  private static final Logger LOG = LoggerFactory.getLogger(MailSender.class);

  /** What {@code smtp}, {@code auth} and {@code http} of the config say about sending mails. */
  public record Settings(
      String from,
      String baseUrl,
      boolean logLinks,
      int maxAttempts,
      long initialDelayMs,
      long maxDelayMs,
      long verifyTtlSeconds,
      long resetTtlSeconds) {}

  private final Vertx vertx;
  private final MailClient client;
  private final MailTemplates templates;
  private final Settings settings;
  private final Counter sent;
  private final Counter retried;
  private final Counter dropped;

  public MailSender(
      Vertx vertx,
      MailClient client,
      MailTemplates templates,
      Settings settings,
      MeterRegistry registry) {
    this.vertx = vertx;
    this.client = client;
    this.templates = templates;
    this.settings = settings;
    this.sent = Counter.builder("avalanche.mail").tag("outcome", "sent").register(registry);
    this.retried = Counter.builder("avalanche.mail").tag("outcome", "retried").register(registry);
    this.dropped = Counter.builder("avalanche.mail").tag("outcome", "dropped").register(registry);
  }

  /**
   * Renders {@code {kind, to, token}} (see {@link AccountMails}) and starts sending it; returns at
   * once.
   */
  public void send(JsonObject request) {
    AccountMails.Kind kind = AccountMails.Kind.valueOf(request.getString("kind"));
    String token = request.getString("token");
    String link = settings.baseUrl() + kind.path + "?token=" + token;
    long ttlSeconds =
        kind == AccountMails.Kind.VERIFY ? settings.verifyTtlSeconds() : settings.resetTtlSeconds();
    MailMessage mail =
        templates.render(
            kind,
            settings.from(),
            request.getString("to"),
            link,
            token,
            Math.max(1, (ttlSeconds + 59) / 60));
    if (settings.logLinks()) {
      LOG.info("mail to {} ({}): {}", request.getString("to"), kind.subject, link);
    }
    deliver(mail, 1);
  }

  private void deliver(MailMessage mail, int attempt) {
    client
        .sendMail(mail)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                sent.increment();
                return;
              }
              String to = String.join(",", mail.getTo());
              if (attempt >= settings.maxAttempts()) {
                dropped.increment();
                LOG.error(
                    "mail to {} ({}) dropped after {} attempts: {}",
                    to,
                    mail.getSubject(),
                    attempt,
                    ar.cause().getMessage());
                return;
              }
              retried.increment();
              long delay = backoff(attempt);
              LOG.warn(
                  "mail to {} ({}) failed (attempt {} of {}), retrying in {} ms: {}",
                  to,
                  mail.getSubject(),
                  attempt,
                  settings.maxAttempts(),
                  delay,
                  ar.cause().getMessage());
              vertx.setTimer(delay, id -> deliver(mail, attempt + 1));
            });
  }

  /**
   * initial × 2^(attempt-1), capped, with ±20 % jitter so a recovering server is not hit all at
   * once.
   */
  private long backoff(int attempt) {
    long base =
        Math.min(settings.maxDelayMs(), settings.initialDelayMs() << Math.min(attempt - 1, 20));
    return Math.max(1, (long) (base * ThreadLocalRandom.current().nextDouble(0.8, 1.2)));
  }
}
