package avalanche.user;

import avalanche.auth.PasswordHasher;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

/**
 * Creates (or refreshes) the configured admin account: verified, role ADMIN, password from config.
 */
public final class AdminAccount {
  private AdminAccount() {}

  public static Future<Long> ensure(Vertx vertx, Pool pg, String email, String password) {
    return PasswordHasher.hash(vertx, password)
        .compose(
            hash ->
                pg.preparedQuery(
                        """
            INSERT INTO users (email, password_hash, status, roles, verified_at)
            VALUES ($1, $2, 'ACTIVE', '{USER,ADMIN}', now())
            ON CONFLICT (email) DO UPDATE
              SET password_hash = EXCLUDED.password_hash, status = 'ACTIVE', roles = '{USER,ADMIN}'
            RETURNING id""")
                    .execute(Tuple.of(email, hash))
                    .map(rows -> rows.iterator().next().getLong("id")));
  }
}
