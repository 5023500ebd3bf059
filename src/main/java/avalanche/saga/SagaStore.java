package avalanche.saga;

import avalanche.messages.OrderRequested;
import avalanche.messages.SagaStep;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The saga rows in PostgreSQL. Every write is one conditional statement on one orders row: recording a
 * reply only changes a step still PENDING (so a duplicate reply changes nothing), and every state
 * transition names the state it leaves (so of two coordinators racing, exactly one wins).
 */
public final class SagaStore {
  private static final String COLUMNS = SagaSnapshot.COLUMNS;

  private final Pool pg;
  private final int timeoutSeconds;
  private final int retrySeconds;

  public SagaStore(Pool pg, int timeoutSeconds, int retrySeconds) {
    this.pg = pg;
    this.timeoutSeconds = timeoutSeconds;
    this.retrySeconds = retrySeconds;
  }

  /** Stores a new saga with every command PENDING; a saga already stored is returned as it is. */
  public Future<SagaSnapshot> start(OrderRequested order) {
    JsonObject pending = new JsonObject();
    for (SagaStep step : SagaStep.values()) {
      pending.put(step.name(), SagaSnapshot.PENDING);
    }
    OffsetDateTime createdAt = OffsetDateTime.ofInstant(Instant.ofEpochMilli(order.getCreatedAt()), ZoneOffset.UTC);
    return pg.preparedQuery("""
            INSERT INTO orders (id, user_id, product_id, price, status, command_statuses, compensation_statuses,
                                created_at, updated_at, saga_state, saga_due_at)
            VALUES ($1, $2, $3, $4, 'PENDING', $5, '{}'::jsonb, $6, now(), 'RUNNING',
                    now() + $7::int * interval '1 second')
            ON CONFLICT (id) DO NOTHING
            RETURNING\s""" + COLUMNS)
        .execute(Tuple.of(order.getOrderId(), order.getUserId(), order.getProductId(), order.getPrice(), pending,
            createdAt, timeoutSeconds))
        .compose(rows -> rows.size() == 1 ? Future.succeededFuture(first(rows)) : find(order.getOrderId()));
  }

  /** Null when there is no such saga. */
  public Future<SagaSnapshot> find(String orderId) {
    return pg.preparedQuery("SELECT " + COLUMNS + " FROM orders WHERE id = $1").execute(Tuple.of(orderId))
        .map(SagaStore::first);
  }

  /** Sets a command's status if it is still PENDING; the first failure names the saga's failure reason. */
  public Future<SagaSnapshot> recordCommand(String orderId, SagaStep step, String status, String reason) {
    return pg.preparedQuery("""
            UPDATE orders SET command_statuses = jsonb_set(command_statuses, ARRAY[$2::text], to_jsonb($3::text)),
                   failure_reason = CASE WHEN $3::text = 'FAILED' THEN COALESCE(failure_reason, $4::text)
                                         ELSE failure_reason END,
                   updated_at = now()
             WHERE id = $1 AND command_statuses ->> $2::text = 'PENDING'
            RETURNING\s""" + COLUMNS)
        .execute(Tuple.of(orderId, step.name(), status, reason))
        .compose(rows -> rows.size() == 1 ? Future.succeededFuture(first(rows)) : find(orderId));
  }

  /** Sets a compensation's status if it is still PENDING. */
  public Future<SagaSnapshot> recordCompensation(String orderId, SagaStep step, String status) {
    return pg.preparedQuery("""
            UPDATE orders SET compensation_statuses = jsonb_set(compensation_statuses, ARRAY[$2::text], to_jsonb($3::text)),
                   updated_at = now()
             WHERE id = $1 AND compensation_statuses ->> $2::text = 'PENDING'
            RETURNING\s""" + COLUMNS)
        .execute(Tuple.of(orderId, step.name(), status))
        .compose(rows -> rows.size() == 1 ? Future.succeededFuture(first(rows)) : find(orderId));
  }

  /** RUNNING → CONFIRMING; true for the one caller that made the move. */
  public Future<Boolean> confirming(String orderId) {
    return moved(pg.preparedQuery("""
            UPDATE orders SET saga_state = 'CONFIRMING', saga_due_at = now() + $2::int * interval '1 second',
                   updated_at = now()
             WHERE id = $1 AND saga_state = 'RUNNING'""")
        .execute(Tuple.of(orderId, retrySeconds)));
  }

  /** CONFIRMING → COMPLETED. */
  public Future<Boolean> completed(String orderId) {
    return moved(pg.preparedQuery("""
            UPDATE orders SET saga_state = 'COMPLETED', status = 'COMPLETED', saga_due_at = NULL, updated_at = now()
             WHERE id = $1 AND saga_state = 'CONFIRMING'""")
        .execute(Tuple.of(orderId)));
  }

  /**
   * {@code from} → COMPENSATING with a PENDING compensation for each of {@code steps}, or straight to
   * CANCELLED when there is nothing to undo. The failure reason is kept if a step already named one.
   */
  public Future<Boolean> compensating(String orderId, SagaState from, List<SagaStep> steps, String reason) {
    JsonObject compensations = new JsonObject();
    steps.forEach(step -> compensations.put(step.name(), SagaSnapshot.PENDING));
    SagaState to = steps.isEmpty() ? SagaState.CANCELLED : SagaState.COMPENSATING;
    return moved(pg.preparedQuery("""
            UPDATE orders SET saga_state = $3, compensation_statuses = $4,
                   status = CASE WHEN $3 = 'CANCELLED' THEN 'CANCELLED' ELSE status END,
                   failure_reason = COALESCE(failure_reason, $5),
                   saga_due_at = CASE WHEN $3 = 'CANCELLED' THEN NULL
                                      ELSE now() + $6::int * interval '1 second' END,
                   updated_at = now()
             WHERE id = $1 AND saga_state = $2""")
        .execute(Tuple.of(orderId, from.name(), to.name(), compensations, reason, retrySeconds)));
  }

  /** COMPENSATING → CANCELLED, only once no compensation is PENDING. */
  public Future<Boolean> cancelled(String orderId) {
    return moved(pg.preparedQuery("""
            UPDATE orders SET saga_state = 'CANCELLED', status = 'CANCELLED', saga_due_at = NULL, updated_at = now()
             WHERE id = $1 AND saga_state = 'COMPENSATING'
               AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(compensation_statuses) c WHERE c.value = 'PENDING')""")
        .execute(Tuple.of(orderId)));
  }

  /**
   * Claims up to {@code limit} sagas whose due time passed (timed out while RUNNING, or a CONFIRMING /
   * COMPENSATING saga to retry) by moving their due time on; rows another coordinator holds are skipped,
   * so each due saga goes to one coordinator per retry period.
   */
  public Future<List<SagaSnapshot>> claimDue(int limit) {
    return pg.preparedQuery("""
            UPDATE orders SET saga_due_at = now() + $2::int * interval '1 second'
             WHERE id IN (SELECT id FROM orders
                           WHERE saga_state IN ('RUNNING', 'CONFIRMING', 'COMPENSATING') AND saga_due_at <= now()
                           ORDER BY saga_due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING\s""" + COLUMNS)
        .execute(Tuple.of(limit, retrySeconds))
        .map(rows -> {
          List<SagaSnapshot> due = new ArrayList<>(rows.size());
          rows.forEach(row -> due.add(SagaSnapshot.of(row)));
          return due;
        });
  }

  private static Future<Boolean> moved(Future<RowSet<Row>> update) {
    return update.map(rows -> rows.rowCount() == 1);
  }

  private static SagaSnapshot first(RowSet<Row> rows) {
    return rows.size() == 0 ? null : SagaSnapshot.of(rows.iterator().next());
  }
}
