package avalanche.infra;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Reads and checks JSON request bodies; every problem is a 400 VALIDATION_FAILED naming the field. */
public final class Bodies {
  private Bodies() {}

  /** The body as an object; an empty body counts as {@code {}} only when {@code optional}. */
  public static JsonObject object(RoutingContext ctx, boolean optional) {
    return object(raw(ctx), optional);
  }

  /** The body's bytes as the router's body handler read them, or null. */
  public static Buffer raw(RoutingContext ctx) {
    return ctx.body() == null ? null : ctx.body().buffer();
  }

  /** {@link #object(RoutingContext, boolean)} for a body read without the router. */
  public static JsonObject object(Buffer body, boolean optional) {
    if (body == null || body.length() <= 0) {
      if (optional) {
        return new JsonObject();
      }
      throw ApiException.validation("a JSON object body is required");
    }
    Object parsed;
    try {
      parsed = body.toJsonValue();
    } catch (RuntimeException e) {
      throw ApiException.validation("request body is not valid JSON");
    }
    if (!(parsed instanceof JsonObject object)) {
      throw ApiException.validation("request body must be a JSON object");
    }
    return object;
  }

  public static String string(JsonObject body, String field, int maxLength) {
    String value = optionalString(body, field, maxLength);
    if (value == null || value.isBlank()) {
      throw ApiException.validation(field + " is required");
    }
    return value;
  }

  public static String optionalString(JsonObject body, String field, int maxLength) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String text)) {
      throw ApiException.validation(field + " must be a string");
    }
    if (text.length() > maxLength) {
      throw ApiException.validation(field + " must be at most " + maxLength + " characters");
    }
    return text;
  }

  public static long integer(JsonObject body, String field, long min, long max) {
    Object value = body.getValue(field);
    if (value == null) {
      throw ApiException.validation(field + " is required");
    }
    if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())
        || value instanceof Double d && (d.isInfinite() || d.isNaN())) {
      throw ApiException.validation(field + " must be an integer");
    }
    long n = number.longValue();
    if (n < min || n > max) {
      throw ApiException.validation(field + " must be between " + min + " and " + max);
    }
    return n;
  }

  /** A path or query id that must be a positive decimal number; anything else cannot exist: 404. */
  public static long numericId(String raw, String what) {
    if (raw == null || raw.isEmpty() || raw.length() > 18) {
      throw ApiException.notFound("no such " + what);
    }
    for (int i = 0; i < raw.length(); i++) {
      if (raw.charAt(i) < '0' || raw.charAt(i) > '9') {
        throw ApiException.notFound("no such " + what);
      }
    }
    return Long.parseLong(raw);
  }
}
