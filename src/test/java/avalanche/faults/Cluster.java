package avalanche.faults;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The servers of the suite — Redis, PostgreSQL, Kafka as separate processes — and the Avalanche
 * processes on them, started once and reused by every scenario.
 */
final class Cluster implements AutoCloseable {
  final Sandbox sandbox;
  final Path jar;

  /** One Redis, or null on a Redis Cluster. */
  final RedisNode redis;

  /** A Redis Cluster, or null on one Redis. */
  final RedisClusterNodes redisCluster;

  final PgNode pg;
  final KafkaNode kafka;
  final List<AvalancheNode> nodes = new ArrayList<>();
  final Vertx vertx;
  final Api api;
  final String jwtSecret;

  Cluster(Path jar, Path logs, int processes, int poolSize) {
    this(jar, logs, java.util.Collections.nCopies(processes, (String) null), poolSize, false);
  }

  /**
   * One Avalanche process per entry of {@code roles} ({@code AVALANCHE_ROLES}, null for every
   * role), on one Redis or on a Redis Cluster of 3 masters + 3 replicas.
   */
  Cluster(Path jar, Path logs, List<String> roles, int poolSize, boolean onRedisCluster) {
    this.jar = jar;
    this.sandbox = new Sandbox(logs);
    this.redis = onRedisCluster ? null : new RedisNode(sandbox);
    this.redisCluster = onRedisCluster ? new RedisClusterNodes(sandbox) : null;
    this.pg = new PgNode(sandbox);
    this.kafka = new KafkaNode(sandbox, jar);
    byte[] secret = new byte[36];
    SecureRandom random = new SecureRandom();
    random.nextBytes(secret);
    this.jwtSecret = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    byte[] pii = new byte[32];
    random.nextBytes(pii);
    Map<String, String> env = new HashMap<>();
    env.put("AVALANCHE_REDIS_URL", onRedisCluster ? redisCluster.url() : redis.url());
    if (onRedisCluster) {
      env.put("AVALANCHE_REDIS_CLUSTER", "true");
    }
    env.put("AVALANCHE_PG_URL", pg.url());
    env.put("AVALANCHE_KAFKA_BOOTSTRAP", kafka.bootstrap());
    env.put("AVALANCHE_JWT_SECRET", jwtSecret);
    env.put("AVALANCHE_PII_KEY", Base64.getEncoder().encodeToString(pii));
    env.put("AVALANCHE_ADMIN_EMAIL", Api.ADMIN_EMAIL);
    env.put("AVALANCHE_ADMIN_PASSWORD", Api.ADMIN_PASSWORD);
    env.put("AVALANCHE_LOADTEST", "true");
    for (int i = 0; i < roles.size(); i++) {
      Map<String, String> own = new HashMap<>(env);
      if (roles.get(i) != null) {
        own.put("AVALANCHE_ROLES", roles.get(i));
      }
      nodes.add(new AvalancheNode(sandbox, jar, "avalanche-" + (char) ('a' + i), Map.copyOf(own)));
    }
    this.vertx = Vertx.vertx();
    this.api = new Api(vertx, poolSize);
  }

  /**
   * Starts the servers (in parallel), then the first Avalanche process (it migrates the schema),
   * then the others.
   */
  void start() {
    if (redis != null) {
      redis.start();
    } else {
      redisCluster.start();
    }
    CompletableFuture<Void> kafkaUp = CompletableFuture.runAsync(kafka::start);
    pg.init();
    kafkaUp.join();
    nodes.get(0).start();
    startAll(nodes.subList(1, nodes.size()));
  }

  /** Starts the given processes in parallel; returns the slowest start in ms. */
  static long startAll(List<AvalancheNode> which) {
    List<CompletableFuture<Long>> starts =
        which.stream().map(n -> CompletableFuture.supplyAsync(n::start)).toList();
    long slowest = 0;
    List<String> failures = new ArrayList<>();
    for (CompletableFuture<Long> start : starts) {
      try {
        slowest = Math.max(slowest, start.join());
      } catch (java.util.concurrent.CompletionException e) {
        failures.add(e.getCause() == null ? e.toString() : e.getCause().getMessage());
      }
    }
    if (!failures.isEmpty()) {
      throw new AvalancheNode.StartFailure(String.join("\n", failures));
    }
    return slowest;
  }

  /**
   * Whatever an earlier scenario left down comes back up, so one failing scenario does not wreck
   * the next: returns what had to be restarted.
   */
  List<String> heal() {
    List<String> healed = new ArrayList<>();
    if (redis != null && !redis.alive()) {
      redis.start();
      healed.add("redis");
    }
    if (redisCluster != null) {
      redisCluster.heal().forEach(port -> healed.add("redis :" + port));
    }
    if (!pg.ready()) {
      pg.start();
      healed.add("postgresql");
    }
    if (!kafka.alive()) {
      kafka.start();
      healed.add("kafka");
    }
    List<AvalancheNode> down = nodes.stream().filter(n -> !n.alive()).toList();
    if (!down.isEmpty()) {
      startAll(down);
      down.forEach(n -> healed.add(n.name));
    }
    return healed;
  }

  /** The processes that serve HTTP (the others take only the saga or the jobs). */
  List<AvalancheNode> apiNodes() {
    return nodes.stream().filter(AvalancheNode::servesApi).toList();
  }

  /** The port of the Redis that holds {@code key} (on a cluster: its slot's master now). */
  int redisPort(String key) {
    return redis != null ? redis.port : redisCluster.masterOf(key);
  }

  @Override
  public void close() {
    for (AvalancheNode node : nodes) {
      try {
        node.stop();
      } catch (RuntimeException e) {
        node.kill9();
      }
    }
    try {
      api.close();
      vertx
          .close()
          .toCompletionStage()
          .toCompletableFuture()
          .get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      // closing anyway
    }
    sandbox.close();
  }
}
