package avalanche.infra.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Reads and checks JSON request bodies; every problem is a 400 VALIDATION_FAILED naming the field.
 */
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

  /**
   * {@link #object(RoutingContext, boolean)} for a body read without the router. The bytes must be
   * UTF-8 (the JSON parser alone would take UTF-16 or UTF-32 for it, and lets overlong and
   * surrogate encodings through; a raw NUL byte is then bad JSON), and no string of the object,
   * name or value, may hold a NUL character or half a surrogate pair (both can be written as JSON
   * escapes): PostgreSQL cannot store either, so such input would otherwise fail only after part of
   * the work was done.
   */
  public static JsonObject object(Buffer body, boolean optional) {
    if (body == null || body.length() <= 0) {
      if (optional) {
        return new JsonObject();
      }
      throw ApiException.validation("a JSON object body is required");
    }
    String text = utf8(body);
    Object parsed;
    try {
      parsed = Json.decodeValue(text);
    } catch (RuntimeException e) {
      throw ApiException.validation("request body is not valid JSON");
    }
    if (!(parsed instanceof JsonObject object)) {
      throw ApiException.validation("request body must be a JSON object");
    }
    for (Map.Entry<String, Object> field : object) {
      if (!storableText(field.getKey())) {
        throw ApiException.validation(
            "field names must be valid Unicode text without NUL characters");
      }
      if (!storable(field.getValue())) {
        throw ApiException.validation(
            field.getKey() + " must be valid Unicode text without NUL characters");
      }
    }
    return object;
  }

  private static String utf8(Buffer body) {
    CharsetDecoder strict =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      return strict.decode(ByteBuffer.wrap(body.getBytes())).toString();
    } catch (CharacterCodingException e) {
      throw ApiException.validation("request body is not valid UTF-8");
    }
  }

  /** Every string inside {@code value} (object names included) passes {@link #storableText}. */
  private static boolean storable(Object value) {
    if (value instanceof String text) {
      return storableText(text);
    }
    if (value instanceof JsonObject object) {
      for (Map.Entry<String, Object> field : object) {
        if (!storableText(field.getKey()) || !storable(field.getValue())) {
          return false;
        }
      }
    } else if (value instanceof JsonArray array) {
      for (Object item : array) {
        if (!storable(item)) {
          return false;
        }
      }
    }
    return true;
  }

  /** No NUL and no unpaired surrogate (which a JSON escape of half a surrogate pair decodes to). */
  private static boolean storableText(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == 0 || Character.isLowSurrogate(c)) {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
          return false;
        }
        i++;
      }
    }
    return true;
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

  /**
   * A whole number from {@code min} to {@code max}, checked on the number's exact value: a
   * fraction, a number beyond 64 bits (which {@code JsonObject.getLong} would wrap) or one out of
   * range is refused, never rounded or wrapped. Integral numbers written with an exponent or a zero
   * fraction ({@code 1e2}, {@code 100.0}) count as the integer they are.
   */
  public static long integer(JsonObject body, String field, long min, long max) {
    Object value = body.getValue(field);
    if (value == null) {
      throw ApiException.validation(field + " is required");
    }
    BigDecimal exact = exact(value);
    if (exact == null
        || exact.stripTrailingZeros().scale() > 0
        || exact.compareTo(BigDecimal.valueOf(min)) < 0
        || exact.compareTo(BigDecimal.valueOf(max)) > 0) {
      throw ApiException.validation(field + " must be an integer from " + min + " to " + max);
    }
    return exact.longValueExact();
  }

  /**
   * The exact value of a parsed JSON number; null for anything else, NaN and infinities included.
   */
  private static BigDecimal exact(Object value) {
    if (value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte) {
      return BigDecimal.valueOf(((Number) value).longValue());
    }
    if (value instanceof BigInteger big) {
      return new BigDecimal(big);
    }
    if (value instanceof BigDecimal decimal) {
      return decimal;
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      return Double.isFinite(d) ? new BigDecimal(d) : null;
    }
    return null;
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
