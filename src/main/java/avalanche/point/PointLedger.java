package avalanche.point;

import avalanche.infra.http.ApiException;
import avalanche.messages.SagaCommand;
import avalanche.saga.FailureReason;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every change of {@code users.points} together with its {@code point_ledger} row, in one
 * statement, so the per-user sum of the ledger always explains the balance. The balance never goes
 * below zero: deductions are conditional, and the column has a CHECK.
 */
public final class PointLedger {
  /**
   * No balance grows past 10^15 points (README, "Input bounds"): grants stop there, and refunds
   * only give back what was taken, so a balance plus any grant or price stays far below 2^63.
   */
  public static final long MAX_BALANCE = 1_000_000_000_000_000L;

  private PointLedger() {}

  /**
   * Takes each order's price from its user if the balance covers it, for many orders of distinct
   * users in one statement (a second DEDUCT for an order violates the ledger's unique key): order
   * id → null when paid, else {@link FailureReason#INSUFFICIENT_POINTS} or {@link
   * FailureReason#USER_NOT_FOUND}. Two orders of one user must not be in one call (each must see
   * the balance the other left).
   */
  public static Future<Map<String, FailureReason>> deductAll(
      SqlClient sql, List<SagaCommand> orders) {
    if (orders.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    String[] orderIds = new String[orders.size()];
    Long[] userIds = new Long[orders.size()];
    Long[] prices = new Long[orders.size()];
    for (int i = 0; i < orderIds.length; i++) {
      SagaCommand order = orders.get(i);
      orderIds[i] = order.getOrderId();
      userIds[i] = order.getUserId();
      prices[i] = order.getPrice();
    }
    return sql.preparedQuery(
            """
            WITH req AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS r(order_id, user_id, price)),
                 taken AS (UPDATE users SET points = users.points - req.price FROM req
                            WHERE users.id = req.user_id AND users.points >= req.price
                           RETURNING req.order_id, users.id AS user_id, req.price),
                 recorded AS (INSERT INTO point_ledger (user_id, order_id, kind, amount)
                              SELECT user_id, order_id, 'DEDUCT', -price FROM taken
                              RETURNING order_id)
            SELECT req.order_id, recorded.order_id IS NOT NULL AS paid,
                   EXISTS (SELECT 1 FROM users WHERE users.id = req.user_id) AS known
              FROM req LEFT JOIN recorded ON recorded.order_id = req.order_id""")
        .execute(Tuple.of(orderIds, userIds, prices))
        .map(
            rows -> {
              Map<String, FailureReason> outcomes = new HashMap<>();
              rows.forEach(
                  row ->
                      outcomes.put(
                          row.getString("order_id"),
                          row.getBoolean("paid")
                              ? null
                              : row.getBoolean("known")
                                  ? FailureReason.INSUFFICIENT_POINTS
                                  : FailureReason.USER_NOT_FOUND));
              return outcomes;
            });
  }

  /**
   * Gives back what each order's DEDUCT took, once (nothing if it took nothing or was refunded
   * already), for many orders in one statement (several may be one user's).
   */
  public static Future<Void> refundAll(SqlClient sql, String[] orderIds) {
    if (orderIds.length == 0) {
      return Future.succeededFuture();
    }
    return sql.preparedQuery(
            """
            WITH back AS (INSERT INTO point_ledger (user_id, order_id, kind, amount)
                          SELECT user_id, order_id, 'REFUND', -amount FROM point_ledger
                           WHERE order_id = ANY($1::text[]) AND kind = 'DEDUCT'
                          ON CONFLICT (order_id, kind) DO NOTHING
                          RETURNING user_id, amount),
                 per_user AS (SELECT user_id, sum(amount) AS amount FROM back GROUP BY user_id)
            UPDATE users SET points = users.points + per_user.amount FROM per_user WHERE users.id = per_user.user_id""")
        .execute(Tuple.of((Object) orderIds))
        .mapEmpty();
  }

  /**
   * Adds {@code amount} (may be negative) to the balance, flooring it at zero, and records what was
   * actually applied as a GRANT. Null when there is no such user; otherwise the new balance. A
   * positive grant that would lift the balance above {@link #MAX_BALANCE} changes nothing and fails
   * with 400 (written so that no sum in the statement can overflow, whatever the stored balance).
   * The casts matter: left to infer from {@code $2 <= 0}, PostgreSQL types the amount int4, and the
   * client then sends a long wrapped to 32 bits.
   */
  public static Future<Long> grant(SqlClient sql, long userId, long amount) {
    return sql.preparedQuery(
            """
            WITH current AS (SELECT id, points FROM users WHERE id = $1 FOR UPDATE),
                 changed AS (UPDATE users SET points = GREATEST(current.points + $2::bigint, 0) FROM current
                              WHERE users.id = current.id AND ($2::bigint <= 0 OR current.points <= $3::bigint - $2::bigint)
                             RETURNING users.id, users.points, users.points - current.points AS delta),
                 recorded AS (INSERT INTO point_ledger (user_id, kind, amount)
                              SELECT id, 'GRANT', delta FROM changed WHERE delta <> 0)
            SELECT changed.points FROM current LEFT JOIN changed ON changed.id = current.id""")
        .execute(Tuple.of(userId, amount, MAX_BALANCE))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return null;
              }
              Long points = rows.iterator().next().getLong("points");
              if (points == null) {
                throw ApiException.validation(
                    "amount would lift the balance above " + MAX_BALANCE + " points");
              }
              return points;
            });
  }
}
