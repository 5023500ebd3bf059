package avalanche.faults;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The fault suite (issue 12): Redis (append-only file on), PostgreSQL and a Kafka broker as separate processes the
 * suite can kill and restart on the same ports and data, two Avalanche processes (the packaged jar), and per
 * scenario a stampede over both processes with a fault injected at 30 % of it, then an audit of the contract's
 * promises ("Faults (v2)") and invariants. See docs/faults.md.
 * <p>
 * {@code -Dfaults=bounded} (the default) runs small counts and short outages in a few minutes;
 * {@code -Dfaults=full} runs 3,300 attempts on 1,500 units per scenario with a 25 s PostgreSQL and a 30 s Kafka
 * outage. {@code -Dfaults.only=redis,postgres} runs some scenarios only. The report goes to
 * {@code target/faults/report.md} (and the test output); the processes' logs to {@code target/faults/logs/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class FaultSuiteIT {
  private static final Path JAR = Path.of("target", "avalanche.jar").toAbsolutePath();
  private static final Path OUT = Path.of("target", "faults").toAbsolutePath();
  private static final long PRICE = 100;
  private static final long POINTS = 1_000;
  private static final int PROCESSES = 2;

  /** Sizes and durations of one mode. */
  record Mode(String name, int attempts, int stock, int concurrency, long preMs, long tailMs, long processDownMs,
              long kafkaDownMs, long redisDownMs, long pgDownMs, long settleLimitMs, long stuckMs, long freshLimitMs) {
    static Mode of(String name) {
      return switch (name) {
        case "full" -> new Mode("full", 3_300, 1_500, 64, 6_000, 8_000, 5_000, 30_000, 1_000, 25_000, 120_000, 60_000, 60_000);
        case "bounded", "" -> new Mode("bounded", 400, 180, 32, 2_500, 3_000, 3_000, 10_000, 1_000, 20_000, 90_000, 60_000, 45_000);
        default -> throw new IllegalArgumentException("-Dfaults must be bounded or full, not " + name);
      };
    }
  }

  private final Mode mode = Mode.of(System.getProperty("faults", "bounded").trim());
  private final Set<String> only = Arrays.stream(System.getProperty("faults.only", "").split(","))
      .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
  private final List<ScenarioReport> reports = new ArrayList<>();
  private final long suiteStarted = System.currentTimeMillis();
  private Cluster cluster;
  private String startup = "";

  @BeforeAll
  void startServers() throws IOException {
    assertThat(JAR).as("the packaged jar (run after mvn package)").isRegularFile();
    Files.createDirectories(OUT);
    Sandbox.deleteTree(OUT.resolve("logs"));
    cluster = new Cluster(JAR, OUT.resolve("logs"), PROCESSES, mode.concurrency() + 16);
    long t0 = System.currentTimeMillis();
    try {
      cluster.start();
    } catch (RuntimeException e) {
      writeReport();
      throw e;
    }
    startup = "servers and " + PROCESSES + " processes up in " + (System.currentTimeMillis() - t0) + " ms (redis "
        + cluster.redis.url() + ", postgresql 127.0.0.1:" + cluster.pg.port + ", kafka " + cluster.kafka.bootstrap()
        + ", avalanche " + cluster.nodes.stream().map(n -> n.name + " :" + n.port).collect(Collectors.joining(", ")) + ")";
    System.out.println("fault suite (" + mode.name() + "): " + startup);
  }

  @AfterAll
  void stopServers() {
    try {
      writeReport();
      System.out.println(summary());
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  // --- the scenarios ------------------------------------------------------------------------------------------

  private static final Set<String> CLEAN = Set.of("202", "409 SOLD_OUT");

  @Test
  @Order(1)
  void baseline() {
    stampedeScenario("1-baseline", "two processes share the drop, no fault", 0, CLEAN, null);
  }

  @Test
  @Order(2)
  void processKilled() {
    AvalancheNode victim = cluster.nodes.get(1);
    stampedeScenario("2-process-kill", "kill -9 of " + victim.name + ", restarted " + mode.processDownMs() / 1000 + " s later",
        mode.processDownMs() + 15_000, plus(CLEAN, "503 UNAVAILABLE", "ERR connection closed"), clock -> {
          victim.kill9();
          clock.down();
          Sandbox.sleep(mode.processDownMs());
          victim.start();
          clock.back();
        });
  }

  @Test
  @Order(3)
  void kafkaKilled() {
    stampedeScenario("3-kafka-kill", "Kafka broker kill -9, restarted after " + mode.kafkaDownMs() / 1000 + " s",
        mode.kafkaDownMs() + 8_000, plus(CLEAN, "503 UNAVAILABLE"), clock -> {
          cluster.kafka.kill9();
          clock.down();
          Sandbox.sleep(mode.kafkaDownMs());
          cluster.kafka.start();
          clock.back();
        });
  }

  @Test
  @Order(4)
  void redisKilled() {
    stampedeScenario("4-redis-kill", "Redis kill -9, restarted from its AOF " + mode.redisDownMs() / 1000 + " s later",
        mode.redisDownMs() + 1_000, plus(CLEAN, "503 UNAVAILABLE"), clock -> {
          cluster.redis.kill9();
          clock.down();
          Sandbox.sleep(mode.redisDownMs());
          cluster.redis.start();
          clock.back();
        });
  }

  @Test
  @Order(5)
  void postgresStopped() {
    stampedeScenario("5-postgres-stop", "PostgreSQL stopped (immediate mode) for " + mode.pgDownMs() / 1000 + " s",
        mode.pgDownMs() + 2_000, plus(CLEAN, "503 UNAVAILABLE"), clock -> {
          cluster.pg.stopImmediate();
          clock.down();
          Sandbox.sleep(mode.pgDownMs());
          cluster.pg.start();
          clock.back();
        });
  }

  @Test
  @Order(6)
  void redisFlushed() {
    // Between the FLUSHALL and the restarts the product's hash is gone, so a purchase may be told NOT_FOUND;
    // while both processes restart, connections are refused. Sessions live only in Redis: the shoppers' sessions
    // went with its data, so their tokens are refused from then on (401, the contract's "sessions lost with Redis
    // are refused on the purchase route too"); a shopper logs in again.
    stampedeScenario("6-redis-flush", "Redis emptied (FLUSHALL), both processes restarted (stock rebuilt from PostgreSQL)",
        15_000, plus(CLEAN, "503 UNAVAILABLE", "404 NOT_FOUND", "401 UNAUTHORIZED", "ERR refused",
            "ERR connection closed"), true, clock -> {
          cluster.redis.flushAll();
          clock.down();
          List<Thread> stops = cluster.nodes.stream().map(n -> new Thread(n::stop)).toList();
          stops.forEach(Thread::start);
          stops.forEach(FaultSuiteIT::join);
          Cluster.startAll(cluster.nodes);
          clock.back();
        });
  }

  @Test
  @Order(7)
  void badInput() {
    String key = "7-bad-input";
    assumeTrue(selected(key), "not selected by -Dfaults.only");
    ScenarioReport report = new ScenarioReport(key, "bad-input corpus to both processes, then a restart");
    reports.add(report);
    try {
      heal(report);
      Map<String, Mark> marks = marks();
      new BadInputScenario(cluster, report).run();
      logErrors(report, marks);
    } catch (Throwable e) {
      report.aborted = describe(e);
    }
    finish(report);
  }

  // --- a stampede scenario --------------------------------------------------------------------------------------

  private void stampedeScenario(String key, String title, long expectedFaultMs, Set<String> allowed,
                                Consumer<Stampede.FaultClock> fault) {
    stampedeScenario(key, title, expectedFaultMs, allowed, false, fault);
  }

  /** {@code redisLosesData}: the fault empties Redis, so orders still in an outbox may be lost with it. */
  private void stampedeScenario(String key, String title, long expectedFaultMs, Set<String> allowed,
                                boolean redisLosesData, Consumer<Stampede.FaultClock> fault) {
    assumeTrue(selected(key), "not selected by -Dfaults.only");
    ScenarioReport report = new ScenarioReport(key, title);
    reports.add(report);
    try {
      heal(report);
      Map<String, Mark> marks = marks();
      AvalancheNode first = cluster.nodes.get(0);
      long product = cluster.api.createProduct(first, key, PRICE, mode.stock());
      List<Api.User> users = cluster.api.users(first, mode.attempts(), POINTS);
      report.fact("drop", "product " + product + ": " + mode.stock() + " units at " + PRICE + " points; " + mode.attempts()
          + " shoppers with " + POINTS + " points and an address, one attempt each, over " + PROCESSES
          + " processes, at most " + mode.concurrency() + " in flight");
      Stampede.Plan plan = new Stampede.Plan(0.3, mode.preMs(), fault == null ? 0 : 0.4, expectedFaultMs, mode.tailMs());
      Stampede.Result result = new Stampede(cluster.api, cluster.nodes).run(product, users, mode.concurrency(), plan, fault);
      Stampede.FaultClock clock = result.fault();
      Audit audit = new Audit(cluster, report);
      if (fault != null) {
        faultFacts(report, result);
        report.check("fault injected and undone", clock.failure == null && clock.downAt > 0,
            clock.failure == null ? "down " + (clock.backAt - clock.downAt) + " ms" : "the fault step failed: " + describe(clock.failure));
        List<String> healed = cluster.heal();
        if (!healed.isEmpty()) {
          report.note("restarted by the suite after the fault step (not by the scenario): " + healed);
        }
      }
      audit.answers(result, allowed);
      List<String> orderIds = result.orderIds();
      long quiet = audit.awaitQuiet(product, orderIds, mode.settleLimitMs(), mode.stuckMs());
      long after = fault == null ? result.endedAt() : Math.max(result.endedAt(), clock.backAt);
      report.fact("quiet", quiet < 0 ? "no (see notes)" : "after " + (System.currentTimeMillis() - after) / 1000.0
          + " s from the end of the stampede" + (fault == null ? "" : " / the dependency's return"));
      Map<Long, Long> start = new HashMap<>();
      users.forEach(u -> start.put(u.id(), POINTS));
      audit.settle(product, PRICE, orderIds, start, fault == null ? 0 : clock.backAt, redisLosesData);
      audit.freshPurchase(key, mode.freshLimitMs());
      List<Long> products = new ArrayList<>(report.extraProducts);
      products.add(product);
      audit.deadLetters(products);
      logErrors(report, marks);
    } catch (Throwable e) {
      report.aborted = describe(e);
    }
    finish(report);
  }

  private void faultFacts(ScenarioReport report, Stampede.Result result) {
    Stampede.FaultClock clock = result.fault();
    long t0 = result.startedAt();
    report.fact("fault", "injected at t+" + (clock.startedAt - t0) + " ms, dependency down at t+" + (clock.downAt - t0)
        + " ms, back at t+" + (clock.backAt - t0) + " ms (" + (clock.backAt - clock.downAt) + " ms down); stampede ended at t+"
        + (result.endedAt() - t0) + " ms");
    Map<String, Integer> during = new TreeMap<>();
    Map<String, Integer> afterBack = new TreeMap<>();
    for (Stampede.Outcome o : result.outcomes()) {
      long at = t0 + o.startMs();
      if (at >= clock.downAt && at < clock.backAt) {
        during.merge(o.key(), 1, Integer::sum);
      } else if (at >= clock.backAt) {
        afterBack.merge(o.key(), 1, Integer::sum);
      }
    }
    report.fact("answers to attempts sent while down", during.isEmpty() ? "none" : during);
    report.fact("answers to attempts sent after the return", afterBack.isEmpty() ? "none" : afterBack);
  }

  // --- helpers ---------------------------------------------------------------------------------------------------

  private void heal(ScenarioReport report) {
    List<String> healed = cluster.heal();
    if (!healed.isEmpty()) {
      report.note("restarted before the scenario (left down by an earlier one): " + healed);
    }
  }

  private boolean selected(String key) {
    return only.isEmpty() || only.stream().anyMatch(key::contains);
  }

  private void finish(ScenarioReport report) {
    report.tookMs = System.currentTimeMillis() - report.startedAt;
    System.out.println(report.markdown());
    writeReport();
    if (!report.passed()) {
      fail(report.summaryLine() + "\n(report: " + OUT.resolve("report.md") + ")");
    }
  }

  private static Set<String> plus(Set<String> base, String... more) {
    Set<String> all = new java.util.TreeSet<>(base);
    all.addAll(List.of(more));
    return all;
  }

  private static void join(Thread t) {
    try {
      t.join(TimeUnit.MINUTES.toMillis(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String describe(Throwable e) {
    StringBuilder s = new StringBuilder(e.toString());
    Arrays.stream(e.getStackTrace()).filter(f -> f.getClassName().startsWith("avalanche.")).limit(4)
        .forEach(f -> s.append("\n  at ").append(f));
    return s.toString();
  }

  /** Where each process's log stood when the scenario began. */
  private record Mark(Path log, long length) {}

  private Map<String, Mark> marks() {
    Map<String, Mark> marks = new LinkedHashMap<>();
    for (AvalancheNode node : cluster.nodes) {
      marks.put(node.name, new Mark(node.log(), node.output().length()));
    }
    return marks;
  }

  /** ERROR lines the processes logged during the scenario (distinct messages, the first few). */
  private void logErrors(ScenarioReport report, Map<String, Mark> marks) {
    Map<String, Integer> errors = new LinkedHashMap<>();
    for (AvalancheNode node : cluster.nodes) {
      Mark mark = marks.get(node.name);
      List<String> texts = new ArrayList<>();
      texts.add(read(mark.log()).substring((int) Math.min(mark.length(), read(mark.log()).length())));
      if (node.log() != null && !node.log().equals(mark.log())) {
        texts.add(read(node.log()));
      }
      for (String text : texts) {
        for (String line : text.split("\n")) {
          if (line.contains(" ERROR ")) {
            String message = line.replaceFirst("^\\S+ ERROR\\s+", "").replaceAll("[0-9a-f]{26}-\\d+", "<order>")
                .replaceAll("\\d+", "N");
            message = message.length() > 200 ? message.substring(0, 200) + "…" : message;
            errors.merge(node.name + ": " + message, 1, Integer::sum);
          }
        }
      }
    }
    if (!errors.isEmpty()) {
      report.fact("ERROR lines logged", errors.values().stream().mapToInt(Integer::intValue).sum() + " ("
          + errors.size() + " distinct), e.g. " + errors.entrySet().stream().limit(4)
          .map(e -> e.getValue() + "× " + e.getKey()).collect(Collectors.joining("; ")));
    }
  }

  private static String read(Path path) {
    try {
      return path == null || !Files.exists(path) ? "" : Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException | UncheckedIOException e) {
      return "";
    }
  }

  private String summary() {
    StringBuilder s = new StringBuilder("fault suite (" + mode.name() + ") in " + (System.currentTimeMillis() - suiteStarted) / 1000 + " s:\n");
    reports.forEach(r -> s.append("  ").append(r.summaryLine()).append('\n'));
    return s.toString();
  }

  private synchronized void writeReport() {
    StringBuilder md = new StringBuilder("# Fault suite report\n\n");
    md.append("- mode: **").append(mode.name()).append("** (").append(mode).append(")\n");
    md.append("- run: ").append(Instant.ofEpochMilli(suiteStarted)).append(", ")
        .append((System.currentTimeMillis() - suiteStarted) / 1000).append(" s so far; ")
        .append(Runtime.getRuntime().availableProcessors()).append(" cores\n");
    md.append("- ").append(startup.isEmpty() ? "servers not started" : startup).append("\n");
    md.append("- logs: ").append(OUT.resolve("logs")).append("\n\n");
    md.append("| scenario | result | time | failed checks |\n|---|---|---|---|\n");
    for (ScenarioReport r : reports) {
      md.append("| ").append(r.name).append(" | ").append(r.aborted != null ? "ABORTED" : r.passed() ? "PASS" : "FAIL")
          .append(" | ").append(r.tookMs / 1000).append(" s | ")
          .append(r.aborted != null ? r.aborted.lines().findFirst().orElse("").replace("|", "\\|")
              : r.failures().stream().map(ScenarioReport.Check::name).collect(Collectors.joining(", ")))
          .append(" |\n");
    }
    md.append('\n');
    reports.forEach(r -> md.append(r.markdown()));
    try {
      Files.createDirectories(OUT);
      Files.writeString(OUT.resolve("report.md"), md.toString(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      System.err.println("could not write the report: " + e);
    }
  }
}
