package avalanche.order;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * A decided purchase answer: status, JSON body (encoded once, so a constant answer costs no
 * encoding) and optional Location; stored as JSON for idempotent replay.
 */
public record Answer(int status, JsonObject body, String location, Buffer encoded) {

  public Answer(int status, JsonObject body, String location) {
    this(status, body, location, body.toBuffer());
  }

  /**
   * The 202 of a won purchase, written without the JSON encoder (the hottest answer there is): an
   * order id is hex digits, a dash, digits and a dot ({@link OrderIds}): nothing JSON escapes.
   */
  public static Answer reserved(String orderId) {
    return new Answer(
        202,
        new JsonObject()
            .put("outcome", "RESERVED")
            .put("orderId", orderId)
            .put("status", "PENDING"),
        "/api/orders/" + orderId,
        Buffer.buffer(
            "{\"outcome\":\"RESERVED\",\"orderId\":\"" + orderId + "\",\"status\":\"PENDING\"}"));
  }

  public static Answer conflict(String code, String message) {
    return new Answer(409, new JsonObject().put("error", code).put("message", message), null);
  }

  public void send(HttpServerResponse response) {
    response.setStatusCode(status).putHeader("Content-Type", "application/json");
    if (location != null) {
      response.putHeader("Location", location);
    }
    response.end(encoded);
  }

  /** Only decided answers are replayed for an Idempotency-Key; 429 and 5xx are not kept. */
  public boolean decided() {
    return status == 200 || status == 202 || status == 409;
  }

  public JsonObject toJson() {
    return new JsonObject().put("status", status).put("body", body).put("location", location);
  }

  public static Answer fromJson(JsonObject json) {
    return new Answer(
        json.getInteger("status"), json.getJsonObject("body"), json.getString("location"));
  }
}
