package avalanche.verticles;

import avalanche.infra.Channels;
import avalanche.auth.AccountMails;
import avalanche.auth.MailTemplates;
import avalanche.infra.config.AppConfig;
import avalanche.infra.DropMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.StartTLSOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Sends the account mails queued on {@value AccountMails#ADDRESS} through SMTP (vertx-mail-client). A failed
 * send is retried with exponential backoff (config {@code smtp.retry}); every failure is logged and counted in
 * {@code avalanche_mail_total{outcome="retried"|"dropped"}}, successes in {@code outcome="sent"}. Pending retries
 * live in memory: a mail still failing when the process stops is lost (the user can ask for it again).
 * With the embedded SMTP sink the link is also logged, so a newcomer can click it.
 */
public class MailVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(MailVerticle.class);

  private MailClient client;
  private MailTemplates templates;
  private String from;
  private String baseUrl;
  private boolean logLinks;
  private int maxAttempts;
  private long initialDelayMs;
  private long maxDelayMs;
  private Counter sent;
  private Counter retried;
  private Counter dropped;

  @Override
  public Future<?> start() {
    JsonObject config = config();
    JsonObject smtp = config.getJsonObject("smtp");
    JsonObject retry = smtp.getJsonObject("retry", new JsonObject());
    from = smtp.getString("from", "Avalanche <no-reply@avalanche.local>");
    baseUrl = publicBaseUrl(config);
    logLinks = smtp.getBoolean("embedded", false);
    maxAttempts = retry.getInteger("maxAttempts", 8);
    initialDelayMs = retry.getLong("initialDelayMs", 1_000L);
    maxDelayMs = retry.getLong("maxDelayMs", 60_000L);
    MeterRegistry registry = DropMetrics.registry(config);
    sent = Counter.builder("avalanche.mail").tag("outcome", "sent").register(registry);
    retried = Counter.builder("avalanche.mail").tag("outcome", "retried").register(registry);
    dropped = Counter.builder("avalanche.mail").tag("outcome", "dropped").register(registry);

    MailConfig mail = new MailConfig()
        .setHostname(AppConfig.text(config, "smtp.host"))
        .setPort(smtp.getInteger("port", 25))
        .setStarttls(StartTLSOptions.OPTIONAL)
        .setKeepAlive(true);
    mail.setConnectTimeout(5_000);
    String user = AppConfig.text(config, "smtp.username");
    if (user != null) {
      mail.setUsername(user).setPassword(smtp.getString("password", "")).setLogin(LoginOption.REQUIRED);
    } else {
      mail.setLogin(LoginOption.DISABLED);
    }
    client = MailClient.create(vertx, mail);
    return vertx.executeBlocking(MailTemplates::load).map(loaded -> {
      templates = loaded;
      vertx.eventBus().<JsonObject>localConsumer(Channels.MAIL_SEND, this::queue);
      return loaded;
    });
  }

  @Override
  public Future<?> stop() {
    return client.close();
  }

  /** {@code http.publicBaseUrl}, default {@code http://127.0.0.1:<port>}, without a trailing slash. */
  static String publicBaseUrl(JsonObject config) {
    String base = AppConfig.text(config, "http.publicBaseUrl");
    if (base == null) {
      base = "http://127.0.0.1:" + config.getJsonObject("http").getInteger("port");
    }
    return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
  }

  private void queue(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    AccountMails.Kind kind = AccountMails.Kind.valueOf(body.getString("kind"));
    String token = body.getString("token");
    String link = baseUrl + kind.path + "?token=" + token;
    long ttlSeconds = config().getJsonObject("auth").getLong(
        kind == AccountMails.Kind.VERIFY ? "verifyTokenTtlSeconds" : "resetTokenTtlSeconds", 1_800L);
    MailMessage mail = templates.render(kind, from, body.getString("to"), link, token,
        Math.max(1, (ttlSeconds + 59) / 60));
    if (logLinks) {
      LOG.info("mail to {} ({}): {}", body.getString("to"), kind.subject, link);
    }
    msg.reply(new JsonObject().put("queued", true));
    deliver(mail, 1);
  }

  private void deliver(MailMessage mail, int attempt) {
    client.sendMail(mail).onComplete(ar -> {
      if (ar.succeeded()) {
        sent.increment();
        return;
      }
      String to = String.join(",", mail.getTo());
      if (attempt >= maxAttempts) {
        dropped.increment();
        LOG.error("mail to {} ({}) dropped after {} attempts: {}", to, mail.getSubject(), attempt, ar.cause().getMessage());
        return;
      }
      retried.increment();
      long delay = backoff(attempt);
      LOG.warn("mail to {} ({}) failed (attempt {} of {}), retrying in {} ms: {}", to, mail.getSubject(), attempt,
          maxAttempts, delay, ar.cause().getMessage());
      vertx.setTimer(delay, id -> deliver(mail, attempt + 1));
    });
  }

  /** initial × 2^(attempt-1), capped, with ±20 % jitter so a recovering server is not hit all at once. */
  private long backoff(int attempt) {
    long base = Math.min(maxDelayMs, initialDelayMs << Math.min(attempt - 1, 20));
    return Math.max(1, (long) (base * ThreadLocalRandom.current().nextDouble(0.8, 1.2)));
  }
}
