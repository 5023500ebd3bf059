package avalanche.faults;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

/**
 * Runs the scenarios of a suite on its {@link Cluster} (the fault suite's, the Redis Cluster
 * test's): a stampede over the processes that serve HTTP with an optional fault, the audit of the
 * contract's promises and invariants ({@link Audit}), the ERROR lines logged, and the report
 * ({@code report.md} under the suite's folder).
 */
final class ScenarioRunner {
  static final long PRICE = 100;
  static final long POINTS = 1_000;

  private final String suiteName;
  private final Path out;
  private final FaultSuiteIT.Mode mode;
  private final Set<String> only;
  private final List<ScenarioReport> reports = new ArrayList<>();
  private final long suiteStarted = System.currentTimeMillis();
  private final Cluster cluster;
  String startup = "";

  /** The product of the stampede running now (a fault may aim at where it lives). */
  volatile long product;

  /** How many buckets the products of the next stampedes have (1: unbucketed). */
  volatile int buckets = 1;

  ScenarioRunner(String suiteName, Path out, FaultSuiteIT.Mode mode, Cluster cluster) {
    this.suiteName = suiteName;
    this.out = out;
    this.mode = mode;
    this.cluster = cluster;
    this.only =
        Arrays.stream(System.getProperty("faults.only", "").split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .collect(Collectors.toSet());
  }

  void stampedeScenario(
      String key,
      String title,
      long expectedFaultMs,
      Set<String> allowed,
      Consumer<Stampede.FaultClock> fault) {
    stampedeScenario(key, title, expectedFaultMs, allowed, false, fault);
  }

  /**
   * {@code redisLosesData}: the fault empties Redis, so orders still in an outbox may be lost with
   * it.
   */
  void stampedeScenario(
      String key,
      String title,
      long expectedFaultMs,
      Set<String> allowed,
      boolean redisLosesData,
      Consumer<Stampede.FaultClock> fault) {
    scenario(
        key,
        title,
        report -> {
          AvalancheNode first = cluster.apiNodes().get(0);
          long product = cluster.api.createProduct(first, key, PRICE, mode.stock(), buckets);
          this.product = product;
          List<Api.User> users = cluster.api.users(first, mode.attempts(), POINTS);
          report.fact(
              "drop",
              "product "
                  + product
                  + ": "
                  + mode.stock()
                  + " units in "
                  + buckets
                  + " bucket(s) at "
                  + PRICE
                  + " points; "
                  + mode.attempts()
                  + " shoppers with "
                  + POINTS
                  + " points and an address, one attempt each, over "
                  + cluster.apiNodes().size()
                  + " processes, at most "
                  + mode.concurrency()
                  + " in flight");
          Stampede.Plan plan =
              new Stampede.Plan(
                  0.3, mode.preMs(), fault == null ? 0 : 0.4, expectedFaultMs, mode.tailMs());
          Stampede.Result result =
              new Stampede(cluster.api, cluster.apiNodes())
                  .run(product, users, mode.concurrency(), plan, fault);
          Stampede.FaultClock clock = result.fault();
          Audit audit = new Audit(cluster, report);
          if (fault != null) {
            faultFacts(report, result);
            report.check(
                "fault injected and undone",
                clock.failure == null && clock.downAt > 0,
                clock.failure == null
                    ? "down " + (clock.backAt - clock.downAt) + " ms"
                    : "the fault step failed: " + describe(clock.failure));
            List<String> healed = cluster.heal();
            if (!healed.isEmpty()) {
              report.note(
                  "restarted by the suite after the fault step (not by the scenario): " + healed);
            }
          }
          audit.answers(result, allowed);
          List<String> orderIds = result.orderIds();
          long quiet = audit.awaitQuiet(product, orderIds, mode.settleLimitMs(), mode.stuckMs());
          long after = fault == null ? result.endedAt() : Math.max(result.endedAt(), clock.backAt);
          report.fact(
              "quiet",
              quiet < 0
                  ? "no (see notes)"
                  : "after "
                      + (System.currentTimeMillis() - after) / 1000.0
                      + " s from the end of the stampede"
                      + (fault == null ? "" : " / the dependency's return"));
          Map<Long, Long> start = new HashMap<>();
          users.forEach(u -> start.put(u.id(), POINTS));
          audit.settle(
              product, PRICE, orderIds, start, fault == null ? 0 : clock.backAt, redisLosesData);
          audit.freshPurchase(key, mode.freshLimitMs());
          List<Long> products = new ArrayList<>(report.extraProducts);
          products.add(product);
          audit.deadLetters(products);
        });
  }

  /**
   * Runs one scenario (when selected): heals, runs {@code body}, adds the ERROR lines logged,
   * reports.
   */
  void scenario(String key, String title, ThrowingConsumer<ScenarioReport> body) {
    assumeTrue(selected(key), "not selected by -Dfaults.only");
    ScenarioReport report = new ScenarioReport(key, title);
    reports.add(report);
    try {
      heal(report);
      Map<String, Mark> marks = marks();
      body.accept(report);
      logErrors(report, marks);
    } catch (Throwable e) {
      report.aborted = describe(e);
    }
    finish(report);
  }

  interface ThrowingConsumer<T> {
    void accept(T value) throws Exception;
  }

  private void faultFacts(ScenarioReport report, Stampede.Result result) {
    Stampede.FaultClock clock = result.fault();
    long t0 = result.startedAt();
    report.fact(
        "fault",
        "injected at t+"
            + (clock.startedAt - t0)
            + " ms, dependency down at t+"
            + (clock.downAt - t0)
            + " ms, back at t+"
            + (clock.backAt - t0)
            + " ms ("
            + (clock.backAt - clock.downAt)
            + " ms down); stampede ended at t+"
            + (result.endedAt() - t0)
            + " ms");
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
    report.fact(
        "first 202 after the fault",
        result.outcomes().stream()
            .filter(o -> o.status() == 202 && t0 + o.startMs() >= clock.downAt)
            .mapToLong(o -> t0 + o.startMs() + o.latencyMs() - clock.downAt)
            .min()
            .stream()
            .mapToObj(ms -> ms + " ms after it went down (purchases stalled at most that long)")
            .findFirst()
            .orElse("none"));
    report.fact(
        "answers to attempts sent after the return", afterBack.isEmpty() ? "none" : afterBack);
  }

  // --- helpers
  // ---------------------------------------------------------------------------------------------------

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
      fail(report.summaryLine() + "\n(report: " + out.resolve("report.md") + ")");
    }
  }

  static Set<String> plus(Set<String> base, String... more) {
    Set<String> all = new java.util.TreeSet<>(base);
    all.addAll(List.of(more));
    return all;
  }

  static void join(Thread t) {
    try {
      t.join(TimeUnit.MINUTES.toMillis(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String describe(Throwable e) {
    StringBuilder s = new StringBuilder(e.toString());
    Arrays.stream(e.getStackTrace())
        .filter(f -> f.getClassName().startsWith("avalanche."))
        .limit(4)
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
      texts.add(
          read(mark.log()).substring((int) Math.min(mark.length(), read(mark.log()).length())));
      if (node.log() != null && !node.log().equals(mark.log())) {
        texts.add(read(node.log()));
      }
      for (String text : texts) {
        for (String line : text.split("\n")) {
          if (line.contains(" ERROR ")) {
            String message =
                line.replaceFirst("^\\S+ ERROR\\s+", "")
                    .replaceAll("[0-9a-f]{26}-\\d+", "<order>")
                    .replaceAll("\\d+", "N");
            message = message.length() > 200 ? message.substring(0, 200) + "…" : message;
            errors.merge(node.name + ": " + message, 1, Integer::sum);
          }
        }
      }
    }
    if (!errors.isEmpty()) {
      report.fact(
          "ERROR lines logged",
          errors.values().stream().mapToInt(Integer::intValue).sum()
              + " ("
              + errors.size()
              + " distinct), e.g. "
              + errors.entrySet().stream()
                  .limit(4)
                  .map(e -> e.getValue() + "× " + e.getKey())
                  .collect(Collectors.joining("; ")));
    }
  }

  private static String read(Path path) {
    try {
      return path == null || !Files.exists(path)
          ? ""
          : Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException | UncheckedIOException e) {
      return "";
    }
  }

  String summary() {
    StringBuilder s =
        new StringBuilder(
            suiteName
                + " ("
                + mode.name()
                + ") in "
                + (System.currentTimeMillis() - suiteStarted) / 1000
                + " s:\n");
    reports.forEach(r -> s.append("  ").append(r.summaryLine()).append('\n'));
    return s.toString();
  }

  synchronized void writeReport() {
    StringBuilder md = new StringBuilder("# " + suiteName + " report\n\n");
    md.append("- mode: **").append(mode.name()).append("** (").append(mode).append(")\n");
    md.append("- run: ")
        .append(Instant.ofEpochMilli(suiteStarted))
        .append(", ")
        .append((System.currentTimeMillis() - suiteStarted) / 1000)
        .append(" s so far; ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" cores\n");
    md.append("- ").append(startup.isEmpty() ? "servers not started" : startup).append("\n");
    md.append("- logs: ").append(out.resolve("logs")).append("\n\n");
    md.append("| scenario | result | time | failed checks |\n|---|---|---|---|\n");
    for (ScenarioReport r : reports) {
      md.append("| ")
          .append(r.name)
          .append(" | ")
          .append(r.aborted != null ? "ABORTED" : r.passed() ? "PASS" : "FAIL")
          .append(" | ")
          .append(r.tookMs / 1000)
          .append(" s | ")
          .append(
              r.aborted != null
                  ? r.aborted.lines().findFirst().orElse("").replace("|", "\\|")
                  : r.failures().stream()
                      .map(ScenarioReport.Check::name)
                      .collect(Collectors.joining(", ")))
          .append(" |\n");
    }
    md.append('\n');
    reports.forEach(r -> md.append(r.markdown()));
    try {
      Files.createDirectories(out);
      Files.writeString(out.resolve("report.md"), md.toString(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      System.err.println("could not write the report: " + e);
    }
  }
}
