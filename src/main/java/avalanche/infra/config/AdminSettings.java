package avalanche.infra.config;

import java.util.Optional;

/**
 * {@code admin}: the account made at start (unset password: a generated one, shown in the banner).
 */
public record AdminSettings(String email, Optional<String> password) {

  static AdminSettings from(ConfigNode admin) {
    return new AdminSettings(admin.text("email"), admin.optionalText("password"));
  }
}
