package avalanche.infra.config;

import java.util.Optional;

/** {@code jwt}: the HS256 secret (unset: generated at start when a server runs embedded). */
public record JwtSettings(Optional<String> secret, int accessTtlSeconds, long refreshTtlSeconds) {

  static JwtSettings from(ConfigNode jwt) {
    return new JwtSettings(
        jwt.optionalText("secret"),
        jwt.positiveInt("accessTtlSeconds"),
        jwt.positiveLong("refreshTtlSeconds"));
  }

  public String requiredSecret() {
    return secret.orElseThrow(() -> ConfigException.unset("jwt.secret"));
  }
}
