package avalanche.infra.http;

import io.vertx.core.json.JsonObject;

/**
 * A failure with its contract status and code; the router's failure handler turns it into the error
 * JSON.
 */
public class ApiException extends RuntimeException {
  private final int status;
  private final String code;
  private final JsonObject extra;
  private final long retryAfterSeconds;

  public ApiException(int status, String code, String message) {
    this(status, code, message, null);
  }

  public ApiException(int status, String code, String message, JsonObject extra) {
    this(status, code, message, extra, 0);
  }

  private ApiException(
      int status, String code, String message, JsonObject extra, long retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.extra = extra;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** 429 whose {@code Retry-After} header says when the limit's window ends. */
  public static ApiException rateLimited(String message, long retryAfterSeconds) {
    return new ApiException(429, "RATE_LIMITED", message, null, Math.max(1, retryAfterSeconds));
  }

  public static ApiException validation(String message) {
    return new ApiException(400, "VALIDATION_FAILED", message);
  }

  public static ApiException notFound(String message) {
    return new ApiException(404, "NOT_FOUND", message);
  }

  public static ApiException unauthorized(String message) {
    return new ApiException(401, "UNAUTHORIZED", message);
  }

  public static ApiException forbidden(String message) {
    return new ApiException(403, "FORBIDDEN", message);
  }

  public static ApiException unavailable(String message) {
    return new ApiException(503, "UNAVAILABLE", message);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /** Seconds for the {@code Retry-After} header, 0 when not known. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public JsonObject body() {
    JsonObject body = new JsonObject().put("error", code).put("message", getMessage());
    if (extra != null) {
      body.mergeIn(extra);
    }
    return body;
  }
}
