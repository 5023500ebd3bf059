package avalanche.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.springframework.security.crypto.argon2.Argon2PasswordEncoder;

/**
 * Argon2id password hashes. Hashing is deliberately slow, so it always runs on a worker thread, never on
 * an event loop.
 */
public final class PasswordHasher {
  private static final Argon2PasswordEncoder ENCODER = Argon2PasswordEncoder.defaultsForSpringSecurity_v5_8();

  private PasswordHasher() {}

  public static Future<String> hash(Vertx vertx, String password) {
    return vertx.executeBlocking(() -> ENCODER.encode(password), false);
  }

  public static Future<Boolean> matches(Vertx vertx, String password, String hash) {
    return vertx.executeBlocking(() -> ENCODER.matches(password, hash), false);
  }
}
