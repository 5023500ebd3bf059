package avalanche.infra.config;

import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.Set;

/**
 * Every setting, typed: parsed from the merged config tree ({@link AppConfig}) by {@link #from},
 * which fails with a {@link ConfigException} naming the first missing or invalid key. The defaults
 * are in {@code conf/avalanche.json} only. The start checks the tree once before anything runs;
 * each verticle parses its {@code config()} again with {@link #from} (cheap: about a hundred keys).
 * Values the start fills in (embedded servers' addresses, generated secrets) are {@link Optional}
 * until then.
 */
public record Settings(
    HttpSettings http,
    Set<Role> roles,
    RedisSettings redis,
    PgSettings pg,
    KafkaSettings kafka,
    SmtpSettings smtp,
    Optional<String> piiKey,
    AuthSettings auth,
    JwtSettings jwt,
    AdminSettings admin,
    long signupPoints,
    Optional<Boolean> loadtest,
    DropSettings drop,
    SagaSettings saga,
    StockSettings stock,
    OutboxSettings outbox,
    QueueSettings queue,
    VerticleCounts verticles,
    String metricsRegistry) {

  public static Settings from(JsonObject tree) {
    ConfigNode root = ConfigNode.root(tree);
    Settings settings =
        new Settings(
            HttpSettings.from(root.child("http")),
            roles(root.text("roles")),
            RedisSettings.from(root.child("redis")),
            PgSettings.from(root.child("pg")),
            KafkaSettings.from(root.child("kafka")),
            SmtpSettings.from(root.child("smtp")),
            root.child("pii").optionalText("key"),
            AuthSettings.from(root.child("auth")),
            JwtSettings.from(root.child("jwt")),
            AdminSettings.from(root.child("admin")),
            root.nonNegativeLong("signupPoints"),
            root.optionalBool("loadtest"),
            DropSettings.from(root.child("drop")),
            SagaSettings.from(root.child("saga")),
            StockSettings.from(root.child("stock")),
            OutboxSettings.from(root.child("outbox")),
            QueueSettings.from(root.child("queue")),
            VerticleCounts.from(root.child("verticles")),
            root.child("metrics").text("registryName"));
    settings.checkTogether();
    return settings;
  }

  private static Set<Role> roles(String value) {
    try {
      return Role.parseList(value);
    } catch (ConfigException e) {
      throw new ConfigException("roles: " + e.getMessage());
    }
  }

  /** Settings that are each valid but wrong together. */
  private void checkTogether() {
    if (!redis.cluster() && redis.url().filter(url -> url.contains(",")).isPresent()) {
      throw new ConfigException(
          "AVALANCHE_REDIS_URL: several seed nodes need AVALANCHE_REDIS_CLUSTER=true");
    }
    if (redis.cluster() && drop.waitReplicas() > 0) {
      // WAIT has no key: the cluster client would send it to any master, not to the one that took
      // the win.
      throw new ConfigException(
          "drop.waitReplicas: not available with AVALANCHE_REDIS_CLUSTER=true");
    }
  }

  /** Whether the load-test provisioning route is on (decided at start when the file leaves it). */
  public boolean loadtestEnabled() {
    return loadtest.orElseThrow(() -> ConfigException.unset("loadtest"));
  }
}
