package avalanche.infra.config;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code redis}: one Redis, or with {@code cluster} the comma-separated seed nodes of a Redis
 * Cluster in {@code url} (unset until the start fills in the embedded server's). The pool size is
 * per node.
 */
public record RedisSettings(Optional<String> url, boolean cluster, int maxPoolSize) {

  static RedisSettings from(ConfigNode redis) {
    return new RedisSettings(
        redis.optionalText("url"), redis.bool("cluster"), redis.positiveInt("maxPoolSize"));
  }

  public String requiredUrl() {
    return url.orElseThrow(() -> ConfigException.unset("redis.url"));
  }

  /** The seed nodes of {@code url} (one without {@code cluster}). */
  public List<String> seeds() {
    return Arrays.stream(requiredUrl().split(",")).map(String::trim).toList();
  }
}
