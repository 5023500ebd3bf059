package avalanche.infra.config;

import java.util.Optional;

/**
 * {@code http}: where the public API listens. {@code instances} 0 means one per core; {@code
 * publicBaseUrl} unset means {@code http://127.0.0.1:<port>} in mail links.
 */
public record HttpSettings(
    int port,
    String host,
    int instances,
    long bodyLimitBytes,
    Optional<String> publicBaseUrl,
    int purchaseAttemptsPerSecond) {

  static HttpSettings from(ConfigNode http) {
    return new HttpSettings(
        http.port("port"),
        http.text("host"),
        http.nonNegativeInt("instances"),
        http.positiveLong("bodyLimitBytes"),
        http.optionalText("publicBaseUrl"),
        http.positiveInt("purchaseAttemptsPerSecond"));
  }
}
