package avalanche.saga;

import avalanche.messages.OrderRequested;
import avalanche.messages.SagaStep;
import avalanche.user.PiiCipher;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The saga rows in PostgreSQL. Every write is one conditional statement on one orders row:
 * recording a reply only changes a step still PENDING (so a duplicate reply changes nothing), and
 * every state transition names the state it leaves (so of two coordinators racing, exactly one
 * wins).
 */
public final class SagaStore {
  private static final String COLUMNS = SagaSnapshot.COLUMNS;

  private final Pool pg;
  private final PiiCipher cipher;
  private final int timeoutSeconds;
  private final int retrySeconds;
  private final int redriveSeconds;

  /**
   * {@code timeoutSeconds}: a RUNNING saga is given up (cancelled with TIMEOUT) only this long
   * after it started; {@code redriveSeconds}: before that, a RUNNING saga with replies missing this
   * long is driven again; {@code retrySeconds}: the shortest pause between two moves of the scanner
   * on one saga.
   */
  public SagaStore(
      Pool pg, PiiCipher cipher, int timeoutSeconds, int retrySeconds, int redriveSeconds) {
    this.pg = pg;
    this.cipher = cipher;
    this.timeoutSeconds = timeoutSeconds;
    this.retrySeconds = retrySeconds;
    this.redriveSeconds = redriveSeconds;
  }

  public int timeoutSeconds() {
    return timeoutSeconds;
  }

  /** The purchase's own shipping address of a stored saga, or null for the user's stored one. */
  public String shippingAddress(SagaSnapshot saga) {
    return saga.sealedAddress() == null
        ? null
        : cipher.decrypt(ADDRESS_FIELD, saga.sealedAddress());
  }

  private static final String ADDRESS_FIELD = "orderShippingAddress";

  /**
   * Stores new sagas, every command PENDING, for many orders (distinct ids) in one statement (plus
   * one read of those already stored, which are returned as they are): order id → its saga.
   */
  public Future<Map<String, SagaSnapshot>> startAll(List<OrderRequested> orders) {
    JsonObject pending = new JsonObject();
    for (SagaStep step : SagaStep.values()) {
      pending.put(step.name(), StepStatus.PENDING.name());
    }
    List<OrderRequested> sorted = new ArrayList<>(orders);
    sorted.sort((a, b) -> a.getOrderId().compareTo(b.getOrderId()));
    int n = sorted.size();
    String[] ids = new String[n];
    Long[] users = new Long[n];
    Long[] products = new Long[n];
    Long[] prices = new Long[n];
    OffsetDateTime[] created = new OffsetDateTime[n];
    Buffer[] addresses = new Buffer[n];
    for (int i = 0; i < n; i++) {
      OrderRequested order = sorted.get(i);
      ids[i] = order.getOrderId();
      users[i] = order.getUserId();
      products[i] = order.getProductId();
      prices[i] = order.getPrice();
      created[i] =
          OffsetDateTime.ofInstant(Instant.ofEpochMilli(order.getCreatedAt()), ZoneOffset.UTC);
      addresses[i] =
          order.getShippingAddress() == null
              ? null
              : Buffer.buffer(cipher.encrypt(ADDRESS_FIELD, order.getShippingAddress()));
    }
    return pg.preparedQuery(
            """
            INSERT INTO orders (id, user_id, product_id, price, status, command_statuses, compensation_statuses,
                                created_at, updated_at, saga_state, saga_due_at, shipping_address_enc, saga_started_at)
            SELECT r.id, r.user_id, r.product_id, r.price, 'PENDING', $6::jsonb, '{}'::jsonb, r.created_at, now(),
                   'RUNNING', now() + $7::int * interval '1 second', r.address, now()
              FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::timestamptz[], $8::bytea[])
                   WITH ORDINALITY AS r(id, user_id, product_id, price, created_at, address, n)
             ORDER BY r.n
            ON CONFLICT (id) DO NOTHING
            RETURNING\s"""
                + COLUMNS)
        .execute(
            Tuple.of(
                    ids,
                    users,
                    products,
                    prices,
                    created,
                    pending,
                    Math.min(redriveSeconds, timeoutSeconds))
                .addArrayOfBuffer(addresses))
        .compose(rows -> withMissing(collect(rows), List.of(ids)));
  }

  /** A reply to record: the step's new status (and reason, for a failure). */
  public record StepReport(String orderId, SagaStep step, StepStatus status, String reason) {}

  /**
   * Records the new status of a command (or, with {@code compensations}, a compensation) for many
   * replies in one statement: order id → its saga, absent when there is no such saga. Several
   * replies of one order (for distinct steps, in their order) are recorded as if one after the
   * other: each step only while PENDING, the first failure naming the reason. A command reply that
   * leaves every step SUCCESS moves the saga on to CONFIRMING in the same statement, so the caller
   * confirms it next.
   */
  public Future<Map<String, SagaSnapshot>> recordAll(
      List<StepReport> reports, boolean compensations) {
    int n = reports.size();
    String[] ids = new String[n];
    String[] steps = new String[n];
    String[] statuses = new String[n];
    String[] reasons = new String[n];
    for (int i = 0; i < n; i++) {
      StepReport report = reports.get(i);
      ids[i] = report.orderId();
      steps[i] = report.step().name();
      statuses[i] = report.status().name();
      reasons[i] = report.reason();
    }
    String column = compensations ? "compensation_statuses" : "command_statuses";
    String set =
        compensations
            ? ""
            : """
                   failure_reason = COALESCE(failure_reason, p_reason),
                   saga_state = CASE WHEN p_all_success AND saga_state = 'RUNNING' THEN 'CONFIRMING' ELSE saga_state END,
                   saga_due_at = CASE WHEN p_all_success AND saga_state = 'RUNNING'
                                      THEN now() + $5::int * interval '1 second' ELSE saga_due_at END,
            """;
    String sql =
        """
            WITH r AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
                                     WITH ORDINALITY AS r(r_id, r_step, r_status, r_reason, r_n)),
                 cur AS (SELECT id AS c_id, %1$s AS c_statuses FROM orders
                          WHERE id IN (SELECT r_id FROM r) ORDER BY id FOR UPDATE),
                 p AS (SELECT c_id AS p_id, c_statuses || jsonb_object_agg(r_step, r_status) AS p_statuses,
                              (array_agg(r_reason ORDER BY r_n)
                                 FILTER (WHERE r_status = 'FAILED' AND r_reason IS NOT NULL))[1] AS p_reason
                         FROM cur JOIN r ON r.r_id = cur.c_id AND cur.c_statuses ->> r.r_step = 'PENDING'
                        GROUP BY c_id, c_statuses),
                 q AS (SELECT p.*, NOT EXISTS (SELECT 1 FROM jsonb_each_text(p_statuses) e
                                                WHERE e.value <> 'SUCCESS') AS p_all_success FROM p)
            UPDATE orders SET %1$s = p_statuses,
            %2$s       updated_at = now()
              FROM q WHERE id = p_id
            RETURNING\s"""
                .formatted(column, set)
            + qualified("orders");
    Tuple args = Tuple.of(ids, steps, statuses, reasons);
    if (!compensations) {
      args.addInteger(retrySeconds);
    }
    return pg.preparedQuery(sql)
        .execute(args)
        .compose(rows -> withMissing(collect(rows), List.of(ids)));
  }

  /** RUNNING → CONFIRMING for many sagas; the ids of those this caller moved. */
  public Future<List<String>> confirmingAll(Collection<String> orderIds) {
    return movedAll(
        pg.preparedQuery(
                """
            UPDATE orders SET saga_state = 'CONFIRMING', saga_due_at = now() + $2::int * interval '1 second',
                   updated_at = now()
             WHERE id = ANY($1::text[]) AND saga_state = 'RUNNING'
            RETURNING id""")
            .execute(Tuple.of(orderIds.toArray(String[]::new), retrySeconds)));
  }

  /** CONFIRMING → COMPLETED for many sagas. */
  public Future<List<String>> completedAll(Collection<String> orderIds) {
    return movedAll(
        pg.preparedQuery(
                """
            UPDATE orders SET saga_state = 'COMPLETED', status = 'COMPLETED', saga_due_at = NULL, updated_at = now()
             WHERE id = ANY($1::text[]) AND saga_state = 'CONFIRMING'
            RETURNING id""")
            .execute(Tuple.of((Object) orderIds.toArray(String[]::new))));
  }

  /**
   * {@code from} → COMPENSATING with a PENDING compensation for each of {@code steps}, or straight
   * to CANCELLED when there is nothing to undo. The failure reason is kept if a step already named
   * one.
   */
  public Future<Boolean> compensating(
      String orderId, SagaState from, List<SagaStep> steps, FailureReason reason) {
    JsonObject compensations = new JsonObject();
    steps.forEach(step -> compensations.put(step.name(), StepStatus.PENDING.name()));
    SagaState to = steps.isEmpty() ? SagaState.CANCELLED : SagaState.COMPENSATING;
    return moved(
        pg.preparedQuery(
                """
            UPDATE orders SET saga_state = $3, compensation_statuses = $4,
                   status = CASE WHEN $3 = 'CANCELLED' THEN 'CANCELLED' ELSE status END,
                   failure_reason = COALESCE(failure_reason, $5),
                   saga_due_at = CASE WHEN $3 = 'CANCELLED' THEN NULL
                                      ELSE now() + $6::int * interval '1 second' END,
                   updated_at = now()
             WHERE id = $1 AND saga_state = $2""")
            .execute(
                Tuple.of(
                    orderId, from.name(), to.name(), compensations, reason.name(), retrySeconds)));
  }

  /** COMPENSATING → CANCELLED, only once no compensation is PENDING. */
  public Future<Boolean> cancelled(String orderId) {
    return moved(
        pg.preparedQuery(
                """
            UPDATE orders SET saga_state = 'CANCELLED', status = 'CANCELLED', saga_due_at = NULL, updated_at = now()
             WHERE id = $1 AND saga_state = 'COMPENSATING'
               AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(compensation_statuses) c WHERE c.value = 'PENDING')""")
            .execute(Tuple.of(orderId)));
  }

  /**
   * Claims up to {@code limit} sagas whose due time passed (RUNNING with replies missing, or a
   * CONFIRMING / COMPENSATING saga to retry) by moving their due time on; rows another coordinator
   * holds are skipped, so each due saga goes to one coordinator per period. The period grows with
   * the saga's age (half of it, between {@code retrySeconds} and a minute), so a saga held up by an
   * outage is driven again a handful of times, not every few seconds; a RUNNING saga is looked at
   * again no later than when it is to be given up.
   */
  public Future<List<SagaSnapshot>> claimDue(int limit) {
    return pg.preparedQuery(
            """
            WITH due AS (SELECT id, GREATEST($2::int * interval '1 second',
                                             LEAST(interval '60 seconds', (now() - saga_started_at) / 2)) AS pause,
                                saga_started_at + $3::int * interval '1 second' - now() AS left_to_run
                           FROM orders
                          WHERE saga_state IN ('RUNNING', 'CONFIRMING', 'COMPENSATING') AND saga_due_at <= now()
                          ORDER BY saga_due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
            UPDATE orders SET saga_due_at = now() + CASE WHEN saga_state = 'RUNNING' AND left_to_run > interval '0'
                                                         THEN LEAST(pause, left_to_run) ELSE pause END
              FROM due WHERE orders.id = due.id
            RETURNING\s"""
                + qualified("orders"))
        .execute(Tuple.of(limit, retrySeconds, timeoutSeconds))
        .map(
            rows -> {
              List<SagaSnapshot> due = new ArrayList<>(rows.size());
              rows.forEach(row -> due.add(SagaSnapshot.of(row)));
              return due;
            });
  }

  /**
   * How many sagas are open (started, neither COMPLETED nor CANCELLED), counted up to {@code
   * limit}: the partial index on {@code saga_due_at} holds exactly those, so this never reads more
   * than {@code limit} entries.
   */
  public Future<Integer> openSagas(int limit) {
    return pg.preparedQuery(
            "SELECT count(*) FROM (SELECT 1 FROM orders WHERE saga_due_at IS NOT NULL LIMIT $1) open")
        .execute(Tuple.of(limit))
        .map(rows -> rows.iterator().next().getInteger(0));
  }

  /**
   * Adds the sagas of {@code ids} that {@code found} lacks, read as they are (those that exist).
   */
  private Future<Map<String, SagaSnapshot>> withMissing(
      Map<String, SagaSnapshot> found, List<String> ids) {
    List<String> missing = new ArrayList<>();
    for (String id : ids) {
      if (!found.containsKey(id)) {
        missing.add(id);
      }
    }
    if (missing.isEmpty()) {
      return Future.succeededFuture(found);
    }
    return pg.preparedQuery("SELECT " + COLUMNS + " FROM orders WHERE id = ANY($1::text[])")
        .execute(Tuple.of((Object) missing.toArray(String[]::new)))
        .map(
            rows -> {
              found.putAll(collect(rows));
              return found;
            });
  }

  private static Map<String, SagaSnapshot> collect(RowSet<Row> rows) {
    Map<String, SagaSnapshot> sagas = new HashMap<>();
    rows.forEach(
        row -> {
          SagaSnapshot saga = SagaSnapshot.of(row);
          sagas.put(saga.orderId(), saga);
        });
    return sagas;
  }

  private static String qualified(String table) {
    StringBuilder out = new StringBuilder();
    for (String column : COLUMNS.split(",")) {
      out.append(out.length() == 0 ? "" : ", ").append(table).append('.').append(column.strip());
    }
    return out.toString();
  }

  private static Future<List<String>> movedAll(Future<RowSet<Row>> update) {
    return update.map(
        rows -> {
          List<String> ids = new ArrayList<>(rows.size());
          rows.forEach(row -> ids.add(row.getString("id")));
          return ids;
        });
  }

  private static Future<Boolean> moved(Future<RowSet<Row>> update) {
    return update.map(rows -> rows.rowCount() == 1);
  }
}
