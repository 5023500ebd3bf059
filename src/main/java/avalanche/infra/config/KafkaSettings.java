package avalanche.infra.config;

import java.util.Optional;

/**
 * {@code kafka}: the bootstrap servers (unset until the start fills in the embedded broker's) and
 * how the topics are made and read.
 */
public record KafkaSettings(
    Optional<String> bootstrap, int partitions, short replicationFactor, int maxPollRecords) {

  static KafkaSettings from(ConfigNode kafka) {
    int replication = kafka.positiveInt("replicationFactor");
    if (replication > Short.MAX_VALUE) {
      throw new ConfigException("kafka.replicationFactor: must be at most " + Short.MAX_VALUE);
    }
    return new KafkaSettings(
        kafka.optionalText("bootstrap"),
        kafka.positiveInt("partitions"),
        (short) replication,
        kafka.positiveInt("maxPollRecords"));
  }

  public String requiredBootstrap() {
    return bootstrap.orElseThrow(() -> ConfigException.unset("kafka.bootstrap"));
  }
}
