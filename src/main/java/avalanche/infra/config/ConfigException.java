package avalanche.infra.config;

/**
 * A missing or invalid setting; its message names the setting so start-up can fail in one clear
 * line.
 */
public class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
