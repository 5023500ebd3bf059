package avalanche.infra.config;

import java.util.Optional;

/**
 * {@code smtp}: the mail server (unset host: the embedded sink, and then {@code embedded} is set so
 * links are logged) and the retry backoff of a failed send.
 */
public record SmtpSettings(
    Optional<String> host,
    int port,
    String from,
    Optional<String> username,
    String password,
    boolean embedded,
    Retry retry) {

  public record Retry(int maxAttempts, long initialDelayMs, long maxDelayMs) {}

  public String requiredHost() {
    return host.orElseThrow(() -> ConfigException.unset("smtp.host"));
  }

  static SmtpSettings from(ConfigNode smtp) {
    ConfigNode retry = smtp.child("retry");
    return new SmtpSettings(
        smtp.optionalText("host"),
        smtp.port("port"),
        smtp.text("from"),
        smtp.optionalText("username"),
        smtp.text("password"),
        smtp.bool("embedded"),
        new Retry(
            retry.positiveInt("maxAttempts"),
            retry.positiveLong("initialDelayMs"),
            retry.positiveLong("maxDelayMs")));
  }
}
