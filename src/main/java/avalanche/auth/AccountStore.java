package avalanche.auth;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

/**
 * The account rows in PostgreSQL ({@code users}, {@code auth_tokens}). Each change is one
 * statement, so it is atomic without an explicit transaction: a token is spent (deleted, with its
 * user's other tokens of the same purpose) in the same statement that acts on it, so it works once.
 */
public final class AccountStore {
  public static final String VERIFY_EMAIL = "VERIFY_EMAIL";
  public static final String RESET_PASSWORD = "RESET_PASSWORD";

  private final Pool pg;

  public AccountStore(Pool pg) {
    this.pg = pg;
  }

  /** Sealed personal data of a new account. */
  public record Profile(byte[] name, byte[] phone, byte[] address) {}

  /** A pending account and its first verification token; null when the email is taken. */
  public Future<Long> create(
      String email, String passwordHash, Profile profile, String tokenHash, long ttlSeconds) {
    return pg.preparedQuery(
            """
            WITH created AS (
              INSERT INTO users (email, password_hash, status, name_enc, phone_enc, address_enc)
              VALUES ($1, $2, 'PENDING_VERIFICATION', $3, $4, $5)
              ON CONFLICT (email) DO NOTHING
              RETURNING id),
            token AS (
              INSERT INTO auth_tokens (token_hash, user_id, purpose, expires_at)
              SELECT $6, id, 'VERIFY_EMAIL', now() + $7::bigint * interval '1 second' FROM created)
            SELECT id FROM created""")
        .execute(
            Tuple.of(
                email,
                passwordHash,
                Buffer.buffer(profile.name()),
                Buffer.buffer(profile.phone()),
                Buffer.buffer(profile.address()),
                tokenHash,
                ttlSeconds))
        .map(AccountStore::firstId);
  }

  /**
   * A new token for the account with this email when it is in one of {@code statuses}; returns the
   * user id, or null when there is no such account (the caller answers the same either way). Spent
   * and expired tokens of the same purpose are cleared on the way.
   */
  public Future<Long> issueToken(
      String email, String purpose, String tokenHash, long ttlSeconds, String... statuses) {
    return pg.preparedQuery(
            """
            WITH target AS (SELECT id FROM users WHERE email = $1 AND status = ANY($5)),
            expired AS (
              DELETE FROM auth_tokens t USING target
              WHERE t.user_id = target.id AND t.purpose = $2 AND t.expires_at <= now())
            INSERT INTO auth_tokens (token_hash, user_id, purpose, expires_at)
            SELECT $3, id, $2, now() + $4::bigint * interval '1 second' FROM target
            RETURNING user_id AS id""")
        .execute(Tuple.of(email, purpose, tokenHash, ttlSeconds, statuses))
        .map(AccountStore::firstId);
  }

  /**
   * Spends a verification token and activates its account, crediting {@code signupPoints} once
   * (only on the step from PENDING_VERIFICATION to ACTIVE) and writing the credit to the points
   * ledger in the same statement, so the ledger always adds up. True when the token was valid.
   */
  public Future<Boolean> verify(String tokenHash, long signupPoints) {
    return pg.preparedQuery(
            """
            WITH hit AS (
              SELECT user_id FROM auth_tokens
              WHERE token_hash = $1 AND purpose = 'VERIFY_EMAIL' AND expires_at > now()
              FOR UPDATE),
            spent AS (
              DELETE FROM auth_tokens t USING hit WHERE t.user_id = hit.user_id AND t.purpose = 'VERIFY_EMAIL'),
            activated AS (
              UPDATE users u SET status = 'ACTIVE', verified_at = now(), points = u.points + $2
              FROM hit WHERE u.id = hit.user_id AND u.status = 'PENDING_VERIFICATION'
              RETURNING u.id),
            credited AS (
              INSERT INTO point_ledger (user_id, kind, amount)
              SELECT id, 'GRANT', $2 FROM activated WHERE $2::bigint > 0)
            SELECT user_id AS id FROM hit""")
        .execute(Tuple.of(tokenHash, signupPoints))
        .map(rows -> firstId(rows) != null);
  }

  /** True when a reset token is valid now (checked before the costly password hash). */
  public Future<Boolean> resetTokenValid(String tokenHash) {
    return pg.preparedQuery(
            """
            SELECT 1 FROM auth_tokens WHERE token_hash = $1 AND purpose = 'RESET_PASSWORD' AND expires_at > now()""")
        .execute(Tuple.of(tokenHash))
        .map(rows -> rows.size() > 0);
  }

  /**
   * Spends a reset token and sets the new password hash; the user id, or null when the token is not
   * valid.
   */
  public Future<Long> resetPassword(String tokenHash, String passwordHash) {
    return pg.preparedQuery(
            """
            WITH hit AS (
              SELECT user_id FROM auth_tokens
              WHERE token_hash = $1 AND purpose = 'RESET_PASSWORD' AND expires_at > now()
              FOR UPDATE),
            spent AS (
              DELETE FROM auth_tokens t USING hit WHERE t.user_id = hit.user_id AND t.purpose = 'RESET_PASSWORD'),
            changed AS (
              UPDATE users u SET password_hash = $2
              FROM hit WHERE u.id = hit.user_id AND u.status <> 'DISABLED'
              RETURNING u.id)
            SELECT id FROM changed""")
        .execute(Tuple.of(tokenHash, passwordHash))
        .map(AccountStore::firstId);
  }

  /** id, password_hash, status, roles of the account with this email, or null. */
  public Future<Row> credentials(String email) {
    return pg.preparedQuery("SELECT id, password_hash, status, roles FROM users WHERE email = $1")
        .execute(Tuple.of(email))
        .map(rows -> rows.iterator().hasNext() ? rows.iterator().next() : null);
  }

  /** The profile row of {@code /api/users/me}, or null. */
  public Future<Row> profile(long userId) {
    return pg.preparedQuery(
            """
            SELECT id, email, name_enc, phone_enc, address_enc, points, status FROM users WHERE id = $1""")
        .execute(Tuple.of(userId))
        .map(rows -> rows.iterator().hasNext() ? rows.iterator().next() : null);
  }

  private static Long firstId(RowSet<Row> rows) {
    return rows.iterator().hasNext() ? rows.iterator().next().getLong("id") : null;
  }
}
