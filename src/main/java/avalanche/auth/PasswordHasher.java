package avalanche.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.springframework.security.crypto.argon2.Argon2PasswordEncoder;

/**
 * Argon2id password hashes. Hashing is deliberately slow, so it always runs on a worker thread,
 * never on an event loop.
 */
public final class PasswordHasher {
  private static final Argon2PasswordEncoder ENCODER =
      Argon2PasswordEncoder.defaultsForSpringSecurity_v5_8();

  private PasswordHasher() {}

  public static Future<String> hash(Vertx vertx, String password) {
    return vertx.executeBlocking(() -> ENCODER.encode(password), false);
  }

  /**
   * Checks a password against {@code hash}; with a null hash (no such account) it checks against a
   * real hash of the same cost and answers false, so an unknown email takes as long as a wrong
   * password.
   */
  public static Future<Boolean> matches(Vertx vertx, String password, String hash) {
    return vertx.executeBlocking(
        () -> {
          if (hash == null) {
            ENCODER.matches(password, Decoy.HASH);
            return false;
          }
          return ENCODER.matches(password, hash);
        },
        false);
  }

  /** Made on first use, on a worker thread, with the live parameters. */
  private static final class Decoy {
    static final String HASH = ENCODER.encode(java.util.UUID.randomUUID().toString());
  }
}
