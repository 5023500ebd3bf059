package avalanche.infra.config;

/**
 * {@code auth}: how long mailed tokens live, and the abuse limits per action (a limit of 0 is off).
 */
public record AuthSettings(
    long verifyTokenTtlSeconds,
    long resetTokenTtlSeconds,
    Limit login,
    Limit reset,
    Limit resend,
    Limit signup) {

  /** At most {@code perEmail} / {@code perAddress} calls per {@code windowSeconds}. */
  public record Limit(int perEmail, int perAddress, long windowSeconds) {
    static Limit from(ConfigNode limit) {
      return new Limit(
          limit.nonNegativeInt("perEmail"),
          limit.nonNegativeInt("perAddress"),
          limit.positiveLong("windowSeconds"));
    }
  }

  static AuthSettings from(ConfigNode auth) {
    ConfigNode limits = auth.child("limits");
    return new AuthSettings(
        auth.positiveLong("verifyTokenTtlSeconds"),
        auth.positiveLong("resetTokenTtlSeconds"),
        Limit.from(limits.child("login")),
        Limit.from(limits.child("reset")),
        Limit.from(limits.child("resend")),
        Limit.from(limits.child("signup")));
  }
}
