package avalanche.infra.config;

/**
 * A missing or invalid setting; its message names the setting so start-up can fail in one clear
 * line.
 */
public class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }

  /**
   * A setting the start fills in (an embedded server's address, a generated secret) read before.
   */
  static ConfigException unset(String path) {
    return new ConfigException(path + ": unset (the start fills it in before any client is built)");
  }
}
