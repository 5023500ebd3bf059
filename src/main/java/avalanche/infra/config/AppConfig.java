package avalanche.infra.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * One config tree: {@code conf/avalanche.json} (bundled in the jar, or the file under the working
 * directory when present) overridden by the fixed {@code AVALANCHE_*} environment variables.
 */
public final class AppConfig {

  /** Environment variable → path in the config tree, with the parser that checks its value. */
  private static final Map<String, Setting> ENV = new LinkedHashMap<>();

  private record Setting(String path, Function<String, Object> parse) {}

  static {
    ENV.put("AVALANCHE_HTTP_PORT", new Setting("http.port", v -> port(v)));
    ENV.put("AVALANCHE_HTTP_HOST", new Setting("http.host", v -> v));
    ENV.put("AVALANCHE_HTTP_INSTANCES", new Setting("http.instances", v -> positiveInt(v)));
    ENV.put("AVALANCHE_PUBLIC_BASE_URL", new Setting("http.publicBaseUrl", v -> v));
    ENV.put("AVALANCHE_REDIS_URL", new Setting("redis.url", AppConfig::redisUrls));
    ENV.put("AVALANCHE_REDIS_CLUSTER", new Setting("redis.cluster", AppConfig::bool));
    ENV.put("AVALANCHE_ROLES", new Setting("roles", AppConfig::roles));
    ENV.put("AVALANCHE_PG_URL", new Setting("pg.url", v -> url(v, "postgresql://", "postgres://")));
    ENV.put("AVALANCHE_KAFKA_BOOTSTRAP", new Setting("kafka.bootstrap", AppConfig::hostPorts));
    ENV.put("AVALANCHE_KAFKA_PARTITIONS", new Setting("kafka.partitions", v -> positiveInt(v)));
    ENV.put("AVALANCHE_SMTP_HOST", new Setting("smtp.host", v -> v));
    ENV.put("AVALANCHE_SMTP_PORT", new Setting("smtp.port", v -> port(v)));
    ENV.put("AVALANCHE_JWT_SECRET", new Setting("jwt.secret", AppConfig::secret));
    ENV.put("AVALANCHE_ADMIN_EMAIL", new Setting("admin.email", AppConfig::email));
    ENV.put("AVALANCHE_ADMIN_PASSWORD", new Setting("admin.password", AppConfig::password));
    ENV.put("AVALANCHE_SIGNUP_POINTS", new Setting("signupPoints", v -> nonNegativeLong(v)));
    ENV.put("AVALANCHE_LOADTEST", new Setting("loadtest", AppConfig::bool));
    ENV.put("AVALANCHE_PII_KEY", new Setting("pii.key", v -> v));
    ENV.put(
        "AVALANCHE_SAGA_TIMEOUT_SECONDS", new Setting("saga.timeoutSeconds", v -> positiveInt(v)));
    ENV.put("AVALANCHE_SAGA_MAX_OPEN", new Setting("saga.maxOpen", v -> positiveInt(v)));
  }

  private AppConfig() {}

  /** Reads defaults and overrides; fails with a {@link ConfigException} naming the bad setting. */
  public static Future<JsonObject> load(
      Vertx vertx, Map<String, String> env, JsonObject overrides) {
    var defaults =
        new ConfigStoreOptions()
            .setType("file")
            .setFormat("json")
            .setConfig(new JsonObject().put("path", "conf/avalanche.json"));
    var retriever =
        ConfigRetriever.create(
            vertx, new ConfigRetrieverOptions().setScanPeriod(0).addStore(defaults));
    return retriever
        .getConfig()
        .eventually(retriever::close)
        .map(
            tree -> {
              applyEnvironment(tree, env);
              tree.mergeIn(overrides, true);
              // Checks every setting once, before any server starts.
              Settings.from(tree);
              return tree;
            });
  }

  static void applyEnvironment(JsonObject tree, Map<String, String> env) {
    ENV.forEach(
        (name, setting) -> {
          String raw = env.get(name);
          if (raw == null || raw.isBlank()) {
            return;
          }
          Object value;
          try {
            value = setting.parse.apply(raw.trim());
          } catch (ConfigException e) {
            throw new ConfigException(name + ": " + e.getMessage());
          }
          put(tree, setting.path, value);
        });
  }

  public static void put(JsonObject tree, String path, Object value) {
    String[] parts = path.split("\\.");
    JsonObject node = tree;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonObject child = node.getJsonObject(parts[i]);
      if (child == null) {
        child = new JsonObject();
        node.put(parts[i], child);
      }
      node = child;
    }
    node.put(parts[parts.length - 1], value);
  }

  /** A string setting that counts as unset when absent or blank. */
  public static String text(JsonObject tree, String path) {
    String[] parts = path.split("\\.");
    JsonObject node = tree;
    for (int i = 0; i < parts.length - 1 && node != null; i++) {
      node = node.getJsonObject(parts[i]);
    }
    if (node == null) {
      return null;
    }
    Object value = node.getValue(parts[parts.length - 1]);
    if (value == null || value.toString().isBlank()) {
      return null;
    }
    return value.toString();
  }

  private static int port(String v) {
    int port = positiveInt(v);
    if (port > 65535) {
      throw new ConfigException("must be a TCP port (1..65535), got '" + v + "'");
    }
    return port;
  }

  private static int positiveInt(String v) {
    try {
      int n = Integer.parseInt(v);
      if (n <= 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigException("must be a positive integer, got '" + v + "'");
    }
  }

  private static long nonNegativeLong(String v) {
    try {
      long n = Long.parseLong(v);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigException("must be a non-negative integer, got '" + v + "'");
    }
  }

  private static String url(String v, String... schemes) {
    for (String scheme : schemes) {
      if (v.startsWith(scheme) && v.length() > scheme.length()) {
        return v;
      }
    }
    throw new ConfigException(
        "must start with " + String.join(" or ", schemes) + ", got '" + v + "'");
  }

  /** One URL, or with {@code AVALANCHE_REDIS_CLUSTER=true} a comma-separated list of seed nodes. */
  private static String redisUrls(String v) {
    for (String seed : v.split(",", -1)) {
      url(seed.trim(), "redis://", "rediss://");
    }
    return v;
  }

  private static String roles(String v) {
    Role.parseList(v);
    return v;
  }

  private static String hostPorts(String v) {
    for (String hostPort : v.split(",")) {
      int colon = hostPort.lastIndexOf(':');
      if (colon <= 0) {
        throw new ConfigException("must be host:port[,host:port...], got '" + v + "'");
      }
      port(hostPort.substring(colon + 1));
    }
    return v;
  }

  private static String secret(String v) {
    if (v.length() < 32) {
      throw new ConfigException("must be at least 32 characters");
    }
    return v;
  }

  private static String email(String v) {
    if (!v.matches("[^@\\s]+@[^@\\s]+")) {
      throw new ConfigException("must be an email address, got '" + v + "'");
    }
    return v.toLowerCase();
  }

  private static String password(String v) {
    if (v.length() < 8) {
      throw new ConfigException("must be at least 8 characters");
    }
    return v;
  }

  private static boolean bool(String v) {
    if (v.equalsIgnoreCase("true")) {
      return true;
    }
    if (v.equalsIgnoreCase("false")) {
      return false;
    }
    throw new ConfigException("must be true or false, got '" + v + "'");
  }
}
