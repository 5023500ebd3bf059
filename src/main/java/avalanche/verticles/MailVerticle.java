package avalanche.verticles;

import avalanche.auth.MailSender;
import avalanche.auth.MailTemplates;
import avalanche.infra.Channels;
import avalanche.infra.DropMetrics;
import avalanche.infra.config.HttpSettings;
import avalanche.infra.config.Settings;
import avalanche.infra.config.SmtpSettings;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.StartTLSOptions;

/**
 * Wires the account mails: the SMTP client (vertx-mail-client) from {@code smtp}, the templates
 * (read off the event loop), and a {@link MailSender} serving {@value Channels#MAIL_SEND}. One
 * instance per process.
 */
public class MailVerticle extends VerticleBase {
  private MailClient client;

  @Override
  public Future<?> start() {
    Settings settings = Settings.from(config());
    SmtpSettings smtp = settings.smtp();
    MailSender.Settings mailing =
        new MailSender.Settings(
            smtp.from(),
            publicBaseUrl(settings.http()),
            smtp.embedded(),
            smtp.retry().maxAttempts(),
            smtp.retry().initialDelayMs(),
            smtp.retry().maxDelayMs(),
            settings.auth().verifyTokenTtlSeconds(),
            settings.auth().resetTokenTtlSeconds());
    MailConfig mail =
        new MailConfig()
            .setHostname(smtp.requiredHost())
            .setPort(smtp.port())
            .setStarttls(StartTLSOptions.OPTIONAL)
            .setKeepAlive(true);
    mail.setConnectTimeout(5_000);
    if (smtp.username().isPresent()) {
      mail.setUsername(smtp.username().get())
          .setPassword(smtp.password())
          .setLogin(LoginOption.REQUIRED);
    } else {
      mail.setLogin(LoginOption.DISABLED);
    }
    client = MailClient.create(vertx, mail);
    return vertx
        .executeBlocking(MailTemplates::load)
        .map(
            templates -> {
              MailSender sender =
                  new MailSender(vertx, client, templates, mailing, DropMetrics.registry(settings));
              vertx
                  .eventBus()
                  .<JsonObject>localConsumer(
                      Channels.MAIL_SEND,
                      msg -> {
                        sender.send(msg.body());
                        msg.reply(new JsonObject().put("queued", true));
                      });
              return templates;
            });
  }

  @Override
  public Future<?> stop() {
    return client.close();
  }

  /**
   * {@code http.publicBaseUrl}, default {@code http://127.0.0.1:<port>}, without a trailing slash.
   */
  private static String publicBaseUrl(HttpSettings http) {
    String base = http.publicBaseUrl().orElse("http://127.0.0.1:" + http.port());
    return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
  }
}
