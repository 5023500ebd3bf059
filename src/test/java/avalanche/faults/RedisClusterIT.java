package avalanche.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Scale-out (issue 15) on real servers: a Redis Cluster of 3 masters + 3 replicas ({@link
 * RedisClusterNodes}), PostgreSQL and Kafka as processes, and three Avalanche processes (the
 * packaged jar) with process roles: two {@code api}, one {@code saga,jobs}. A stampede over the two
 * api processes, then one with a kill -9 of the master that holds the product mid-drop (its replica
 * takes over); both again on a product split over six buckets (issue 15's hot-product buckets);
 * then the product's slot resharded to another master mid-drop. Each audited like the fault suite
 * ({@link Audit}). Bounded sizes (the fault suite's {@code bounded} mode); the report goes to
 * {@code target/redis-cluster/report.md}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class RedisClusterIT {
  private static final Path JAR = Path.of("target", "avalanche.jar").toAbsolutePath();
  private static final Path OUT = Path.of("target", "redis-cluster").toAbsolutePath();
  private static final List<String> ROLES = List.of("api", "api", "saga,jobs");
  private static final Set<String> CLEAN = Set.of("202", "409 SOLD_OUT");
  private static final int BUCKETS = 6;

  private final FaultSuiteIT.Mode mode = FaultSuiteIT.Mode.of("bounded");
  private Cluster cluster;
  private ScenarioRunner runner;

  @BeforeAll
  void startServers() throws IOException {
    assertThat(JAR).as("the packaged jar (run after mvn package)").isRegularFile();
    assertThat(RedisClusterNodes.available())
        .as(
            "redis-server and redis-cli on the PATH (apt-get install redis-server "
                + "redis-tools; .ci/run does)")
        .isTrue();
    Files.createDirectories(OUT);
    Sandbox.deleteTree(OUT.resolve("logs"));
    cluster = new Cluster(JAR, OUT.resolve("logs"), ROLES, mode.concurrency() + 16, true);
    runner = new ScenarioRunner("Redis Cluster test", OUT, mode, cluster);
    long t0 = System.currentTimeMillis();
    try {
      cluster.start();
    } catch (RuntimeException e) {
      runner.writeReport();
      throw e;
    }
    runner.startup =
        "Redis Cluster (3 masters + 3 replicas "
            + cluster.redisCluster.ports
            + "), PostgreSQL, Kafka and "
            + ROLES.size()
            + " processes up in "
            + (System.currentTimeMillis() - t0)
            + " ms ("
            + cluster.nodes.stream()
                .map(n -> n.name + " " + ROLES.get(cluster.nodes.indexOf(n)) + " :" + n.port)
                .collect(Collectors.joining(", "))
            + ")";
    System.out.println("redis cluster test: " + runner.startup);
  }

  @AfterAll
  void stopServers() {
    try {
      if (runner != null) {
        runner.writeReport();
        System.out.println(runner.summary());
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  @Test
  @Order(1)
  void stampedeOverTwoApiProcesses() {
    runner.stampedeScenario(
        "1-cluster-stampede",
        "two api processes and one saga,jobs process on a Redis Cluster, no fault",
        0,
        CLEAN,
        null);
  }

  @Test
  @Order(2)
  void masterKilledMidDrop() {
    runner.stampedeScenario(
        "2-master-kill",
        "kill -9 of the master holding the product; its replica takes over",
        RedisClusterNodes.NODE_TIMEOUT_MS + 8_000,
        ScenarioRunner.plus(CLEAN, "503 UNAVAILABLE"),
        this::killMasterOfTheProduct);
  }

  /**
   * A hot product in 6 buckets: they sit on all three masters (checked against the slot map), and a
   * stampede over it settles every 202 like an unbucketed product's.
   */
  @Test
  @Order(3)
  void stampedeOnABucketedProduct() {
    runner.buckets = BUCKETS;
    runner.stampedeScenario(
        "3-bucketed-stampede",
        "the same stampede on a product split over " + BUCKETS + " buckets, no fault",
        0,
        CLEAN,
        null);
    assertThat(mastersOf(runner.product)).as("the buckets' masters").hasSize(3);
  }

  /** Kill -9 of the master holding the bucketed product's first bucket, mid-drop. */
  @Test
  @Order(4)
  void masterKilledMidDropOnABucketedProduct() {
    runner.buckets = BUCKETS;
    runner.stampedeScenario(
        "4-bucketed-master-kill",
        "kill -9 of the master holding the first of "
            + BUCKETS
            + " buckets; its replica takes over",
        RedisClusterNodes.NODE_TIMEOUT_MS + 8_000,
        ScenarioRunner.plus(CLEAN, "503 UNAVAILABLE"),
        this::killMasterOfTheProduct);
  }

  /**
   * The product's slot is resharded to another master mid-drop, slowly (its keys move one by one):
   * every 202 still settles, and nothing is answered but 202, SOLD_OUT and, while the slot is half
   * moved, 503. Redis stays up meanwhile, only slower, so answers may take longer than the 2 s the
   * contract sets for a dependency that is down, but none hangs.
   */
  @Test
  @Order(5)
  void slotReshardedMidDrop() {
    runner.buckets = 1;
    runner.stampedeScenario(
        "5-resharding",
        "the product's slot migrates to another master mid-drop, key by key (ASK, TRYAGAIN, MOVED)",
        10_000,
        ScenarioRunner.plus(CLEAN, "503 UNAVAILABLE"),
        clock -> {
          clock.slow();
          cluster.redisCluster.migrateSlotOf("{p:" + runner.product + "}", 20);
          clock.back();
        });
  }

  /** Kill -9 of the master holding the product's (first) slot; back once its replica took over. */
  private void killMasterOfTheProduct(Stampede.FaultClock clock) {
    int master = cluster.redisCluster.masterOf("{p:" + runner.product + "}");
    cluster.redisCluster.kill9(master);
    clock.down();
    cluster.redisCluster.awaitHealthy(60_000);
    clock.back();
  }

  /** The masters (ports) serving the product's buckets, read from its first bucket's salts. */
  private Set<Integer> mastersOf(long productId) {
    String first = "{p:" + productId + "}";
    Object salts = Resp.call(cluster.redisPort(first), "HGET", first, "bucketSalts");
    Set<Integer> masters = new HashSet<>();
    masters.add(cluster.redisPort(first));
    for (String salt : String.valueOf(salts).split(",")) {
      masters.add(cluster.redisPort("{p:" + productId + "." + salt + "}"));
    }
    return masters;
  }
}
