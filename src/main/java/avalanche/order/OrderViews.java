package avalanche.order;

import avalanche.saga.FailureReason;
import avalanche.saga.StepStatus;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Row;
import java.time.Instant;

/**
 * The contract's order JSON, from a PostgreSQL row or from the live Redis hash before the saga
 * stored it.
 */
public final class OrderViews {
  private static final JsonObject ALL_PENDING =
      new JsonObject()
          .put("CHECK_STOCK", StepStatus.PENDING.name())
          .put("APPLY_POINTS", StepStatus.PENDING.name())
          .put("PREPARE_SHIPPING", StepStatus.PENDING.name());

  private OrderViews() {}

  public static JsonObject fromRow(Row row) {
    Object commands = row.getValue("command_statuses");
    Object compensations = row.getValue("compensation_statuses");
    return new JsonObject()
        .put("orderId", row.getString("id"))
        .put("productId", Long.toString(row.getLong("product_id")))
        .put("price", row.getLong("price"))
        .put("status", row.getString("status"))
        .put(
            "commandStatuses",
            commands instanceof JsonObject j && !j.isEmpty() ? j : ALL_PENDING.copy())
        .put("compensationStatuses", compensations instanceof JsonObject j ? j : new JsonObject())
        .put("failureReason", row.getString("failure_reason"))
        .put("createdAt", row.getOffsetDateTime("created_at").toInstant().toString())
        .put("updatedAt", row.getOffsetDateTime("updated_at").toInstant().toString());
  }

  public static JsonObject fromRedis(String orderId, long productId, Response hash) {
    String createdAt = Instant.ofEpochMilli(hash.get("createdAt").toLong()).toString();
    String status = hash.get("status").toString();
    return new JsonObject()
        .put("orderId", orderId)
        .put("productId", Long.toString(productId))
        .put("price", hash.get("price").toLong())
        .put("status", status)
        .put("commandStatuses", ALL_PENDING.copy())
        .put("compensationStatuses", new JsonObject())
        .put("failureReason", "CANCELLED".equals(status) ? FailureReason.TIMEOUT.name() : null)
        .put("createdAt", createdAt)
        .put("updatedAt", createdAt);
  }
}
