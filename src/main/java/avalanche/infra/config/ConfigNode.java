package avalanche.infra.config;

import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * One object of the merged config tree, read strictly: every key must be present (its default is in
 * {@code conf/avalanche.json}, nowhere else) and of the right type and range. A failure is a {@link
 * ConfigException} whose message starts with the key's full path, e.g. {@code
 * stock.sweepIntervalMs: must be a positive integer, got 0}.
 */
public final class ConfigNode {
  private final JsonObject json;
  private final String path;

  private ConfigNode(JsonObject json, String path) {
    this.json = json;
    this.path = path;
  }

  public static ConfigNode root(JsonObject tree) {
    return new ConfigNode(tree, "");
  }

  /** The nested object {@code key}. */
  public ConfigNode child(String key) {
    return new ConfigNode(typed(key, JsonObject.class, "must be an object"), pathOf(key));
  }

  public String text(String key) {
    return typed(key, String.class, "must be a string");
  }

  /**
   * A string that is unset when blank ({@code ""} in the file: an embedded server, a generated
   * secret).
   */
  public Optional<String> optionalText(String key) {
    String text = text(key);
    return text.isBlank() ? Optional.empty() : Optional.of(text);
  }

  public boolean bool(String key) {
    return typed(key, Boolean.class, "must be true or false");
  }

  /** A boolean, or {@code ""} for "decided at start". */
  public Optional<Boolean> optionalBool(String key) {
    Object value = value(key);
    if (value instanceof String text && text.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(bool(key));
  }

  public long positiveLong(String key) {
    return longIn(key, 1, Long.MAX_VALUE, "a positive integer");
  }

  public long nonNegativeLong(String key) {
    return longIn(key, 0, Long.MAX_VALUE, "a non-negative integer");
  }

  public int positiveInt(String key) {
    return (int) longIn(key, 1, Integer.MAX_VALUE, "a positive integer");
  }

  public int nonNegativeInt(String key) {
    return (int) longIn(key, 0, Integer.MAX_VALUE, "a non-negative integer");
  }

  public int port(String key) {
    return (int) longIn(key, 1, 65_535, "a TCP port (1..65535)");
  }

  /** A number in [0, 1]. */
  public double probability(String key) {
    Object value = value(key);
    if (!(value instanceof Number number)
        || !(number.doubleValue() >= 0 && number.doubleValue() <= 1)) {
      throw invalid(key, "must be a number in [0, 1]", value);
    }
    return number.doubleValue();
  }

  private long longIn(String key, long min, long max, String what) {
    Object value = value(key);
    // Whole numbers only: a 1.5 or a "10" is a mistake in the file, not something to round.
    if (!(value instanceof Integer || value instanceof Long)
        || ((Number) value).longValue() < min
        || ((Number) value).longValue() > max) {
      throw invalid(key, "must be " + what, value);
    }
    return ((Number) value).longValue();
  }

  private <T> T typed(String key, Class<T> type, String rule) {
    Object value = value(key);
    if (!type.isInstance(value)) {
      throw invalid(key, rule, value);
    }
    return type.cast(value);
  }

  private Object value(String key) {
    Object value = json.getValue(key);
    if (value == null) {
      throw new ConfigException(
          pathOf(key) + ": missing (every setting is in conf/avalanche.json)");
    }
    return value;
  }

  private ConfigException invalid(String key, String rule, Object value) {
    String shown = value instanceof String ? "'" + value + "'" : String.valueOf(value);
    return new ConfigException(pathOf(key) + ": " + rule + ", got " + shown);
  }

  private String pathOf(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }
}
