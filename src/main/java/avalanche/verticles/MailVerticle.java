package avalanche.verticles;

import avalanche.auth.MailSender;
import avalanche.auth.MailTemplates;
import avalanche.infra.Channels;
import avalanche.infra.DropMetrics;
import avalanche.infra.config.AppConfig;
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
    JsonObject config = config();
    JsonObject smtp = config.getJsonObject("smtp");
    JsonObject retry = smtp.getJsonObject("retry", new JsonObject());
    JsonObject auth = config.getJsonObject("auth");
    MailSender.Settings settings =
        new MailSender.Settings(
            smtp.getString("from", "Avalanche <no-reply@avalanche.local>"),
            publicBaseUrl(config),
            smtp.getBoolean("embedded", false),
            retry.getInteger("maxAttempts", 8),
            retry.getLong("initialDelayMs", 1_000L),
            retry.getLong("maxDelayMs", 60_000L),
            auth.getLong("verifyTokenTtlSeconds", 1_800L),
            auth.getLong("resetTokenTtlSeconds", 1_800L));
    MailConfig mail =
        new MailConfig()
            .setHostname(AppConfig.text(config, "smtp.host"))
            .setPort(smtp.getInteger("port", 25))
            .setStarttls(StartTLSOptions.OPTIONAL)
            .setKeepAlive(true);
    mail.setConnectTimeout(5_000);
    String user = AppConfig.text(config, "smtp.username");
    if (user != null) {
      mail.setUsername(user)
          .setPassword(smtp.getString("password", ""))
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
                  new MailSender(vertx, client, templates, settings, DropMetrics.registry(config));
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
  private static String publicBaseUrl(JsonObject config) {
    String base = AppConfig.text(config, "http.publicBaseUrl");
    if (base == null) {
      base = "http://127.0.0.1:" + config.getJsonObject("http").getInteger("port");
    }
    return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
  }
}
