package avalanche.infra.config;

import java.util.Optional;

/** {@code pg}: the PostgreSQL URL (unset until the start fills in the embedded server's). */
public record PgSettings(Optional<String> url, int maxPoolSize) {

  static PgSettings from(ConfigNode pg) {
    return new PgSettings(pg.optionalText("url"), pg.positiveInt("maxPoolSize"));
  }

  public String requiredUrl() {
    return url.orElseThrow(() -> ConfigException.unset("pg.url"));
  }
}
