package avalanche.faults;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Scenario 7: the bad-input corpus ({@link BadInputCorpus}) to every process, each answer checked;
 * then stored data must be unchanged and a restart of the processes must succeed (no stored row may
 * keep a process from starting).
 */
final class BadInputScenario {
  private static final int MIN_CASES = 300;
  private static final int PURCHASERS = 60;

  private final Cluster cluster;
  private final ScenarioReport report;

  BadInputScenario(Cluster cluster, ScenarioReport report) {
    this.cluster = cluster;
    this.report = report;
  }

  /** One answer to one case on one process. */
  private record Result(String node, BadInputCorpus.Case c, RawHttp.Answer answer) {
    String label() {
      return node + " " + c.category() + ": " + c.name();
    }
  }

  void run() throws SQLException {
    AvalancheNode first = cluster.nodes.get(0);
    long product = cluster.api.createProduct(first, "bad-input-target", 100, 10);
    Api.User tokenUser = cluster.api.users(first, 1, 1_000).get(0);
    Api.User victim = cluster.api.users(first, 1, 1_000).get(0);
    List<Api.User> corpusUsers = new ArrayList<>(List.of(tokenUser, victim));
    Map<String, Iterator<Api.User>> purchasers = new LinkedHashMap<>();
    for (AvalancheNode node : cluster.nodes) {
      List<Api.User> own = cluster.api.users(first, PURCHASERS, 1_000);
      corpusUsers.addAll(own);
      purchasers.put(node.name, own.iterator());
    }
    String adminToken = cluster.api.adminToken(first);
    Map<String, String> before = snapshot(product, corpusUsers);
    JsonObject statsBefore = cluster.api.stats(first, product);

    List<Result> results = new ArrayList<>();
    int corpusSize = 0;
    for (AvalancheNode node : cluster.nodes) {
      Iterator<Api.User> own = purchasers.get(node.name);
      List<BadInputCorpus.Case> cases =
          BadInputCorpus.build(
              new BadInputCorpus.Context(
                  product,
                  adminToken,
                  tokenUser,
                  victim.id(),
                  cluster.jwtSecret,
                  UUID.randomUUID().toString().substring(0, 8),
                  () -> {
                    if (!own.hasNext()) {
                      throw new IllegalStateException(
                          "more purchase cases than provisioned shoppers");
                    }
                    return own.next();
                  }));
      corpusSize = cases.size();
      for (BadInputCorpus.Case c : cases) {
        results.add(
            new Result(node.name, c, RawHttp.send(node.port, c.request(), c.halfClose(), 10_000)));
      }
    }
    report.fact("corpus", corpusSize + " requests per process, " + results.size() + " in all");
    report.check(
        "corpus of at least " + MIN_CASES + " requests",
        corpusSize >= MIN_CASES,
        corpusSize + " per process");

    // every answer
    Map<String, Integer> byStatus = new TreeMap<>();
    Map<String, Integer> byCategory = new TreeMap<>();
    List<String> fiveXx = new ArrayList<>();
    List<String> fiveXxCodec = new ArrayList<>();
    StringBuilder tsv = new StringBuilder("process\tcategory\tcase\tstatus\tms\tbody or error\n");
    List<String> accepted = new ArrayList<>();
    List<String> unshapedApp = new ArrayList<>();
    List<String> unshapedCodec = new ArrayList<>();
    List<String> noAnswerApp = new ArrayList<>();
    List<String> noAnswerCodec = new ArrayList<>();
    List<String> stackTraces = new ArrayList<>();
    long maxLatency = 0;
    for (Result r : results) {
      RawHttp.Answer a = r.answer();
      maxLatency = Math.max(maxLatency, a.latencyMs());
      byStatus.merge(a.status() == 0 ? "no answer" : Integer.toString(a.status()), 1, Integer::sum);
      byCategory.merge(r.c().category(), 1, Integer::sum);
      String seen =
          r.label()
              + " → "
              + (a.status() == 0 ? a.error() : a.status() + " " + abbreviate(a.body()));
      tsv.append(r.node())
          .append('\t')
          .append(r.c().category())
          .append('\t')
          .append(r.c().name().replace('\t', ' '))
          .append('\t')
          .append(a.status())
          .append('\t')
          .append(a.latencyMs())
          .append('\t')
          .append(a.status() == 0 ? a.error() : abbreviate(a.body()))
          .append('\n');
      if (a.status() == 0) {
        (r.c().codec() ? noAnswerCodec : noAnswerApp).add(seen + " after " + a.latencyMs() + " ms");
        continue;
      }
      if (a.status() >= 500) {
        // a JSON body means the application answered; the codec's own answers have none
        (r.c().codec() && !shaped(a) ? fiveXxCodec : fiveXx).add(seen);
      } else if (a.status() < 400) {
        accepted.add(seen);
      }
      if (a.status() >= 400 && !shaped(a)) {
        (r.c().codec() ? unshapedCodec : unshapedApp)
            .add(
                r.label()
                    + " → "
                    + a.status()
                    + " "
                    + (a.contentType() == null ? "(no content type)" : a.contentType())
                    + " "
                    + abbreviate(a.body()));
      }
      if (a.body().contains("Exception")
          || a.body().contains("\tat ")
          || a.body().contains("at avalanche.")) {
        stackTraces.add(seen);
      }
    }
    report.fact("answers by status", byStatus);
    report.fact("cases by category", byCategory);
    report.fact("slowest answer", maxLatency + " ms");
    report.check("never a 5xx (application)", fiveXx.isEmpty(), count(fiveXx));
    report.check(
        "never a 5xx (HTTP codec)",
        fiveXxCodec.isEmpty(),
        count(fiveXxCodec)
            + (fiveXxCodec.isEmpty()
                ? ""
                : " (Vert.x's default invalid-request handler; HttpServer.invalidRequestHandler can answer 4xx)"));
    try {
      java.nio.file.Files.writeString(
          cluster.sandbox.logs.resolveSibling("bad-input.tsv"), tsv.toString());
      report.note(
          "every case and its answer: " + cluster.sandbox.logs.resolveSibling("bad-input.tsv"));
    } catch (java.io.IOException e) {
      report.note("could not write bad-input.tsv: " + e);
    }
    report.check("every bad request refused (4xx)", accepted.isEmpty(), count(accepted));
    report.check(
        "JSON {error, message} on every application answer",
        unshapedApp.isEmpty(),
        count(unshapedApp));
    report.check(
        "an answer to every request the application reads",
        noAnswerApp.isEmpty(),
        count(noAnswerApp));
    report.check("no stack trace in a body", stackTraces.isEmpty(), count(stackTraces));
    if (!unshapedCodec.isEmpty()) {
      report.note(
          "refused by the HTTP codec without the JSON error body (recorded, not required): "
              + count(unshapedCodec));
    }
    if (!noAnswerCodec.isEmpty()) {
      report.note(
          "protocol cases the server closed without an answer (recorded, not required): "
              + count(noAnswerCodec));
    }
    boolean allAlive = cluster.nodes.stream().allMatch(AvalancheNode::alive);
    report.check(
        "every process still serving",
        allAlive
            && cluster.nodes.stream()
                .allMatch(
                    n ->
                        cluster.api.call(n, HttpMethod.GET, "/health", null, null, 5_000).status()
                            == 200),
        cluster.nodes.stream()
            .map(n -> n.name + (n.alive() ? " alive" : " DEAD"))
            .toList()
            .toString());

    // stored data unchanged
    Map<String, String> after = snapshot(product, corpusUsers);
    List<String> changed = new ArrayList<>();
    before.forEach(
        (k, v) -> {
          if (!v.equals(after.get(k))) {
            changed.add(k + ": " + v + " → " + after.get(k));
          }
        });
    report.check(
        "stored data unchanged (PostgreSQL)",
        changed.isEmpty(),
        changed.isEmpty() ? before.keySet().toString() : String.join("; ", changed));
    JsonObject statsAfter = cluster.api.stats(first, product);
    report.check(
        "the target product's counters unchanged (no attempt reached the stock script)",
        statsBefore.equals(statsAfter),
        "before " + statsBefore.encode() + ", after " + statsAfter.encode());
    if (!changed.isEmpty()) {
      report.note("rows written by the corpus: " + newRows(before, corpusUsers));
    }

    // a restart must succeed
    List<Thread> stops = cluster.nodes.stream().map(n -> new Thread(n::stop)).toList();
    stops.forEach(Thread::start);
    for (Thread t : stops) {
      try {
        t.join(120_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      long took = Cluster.startAll(cluster.nodes);
      report.check("restart of every process succeeds", true, "up in " + took + " ms");
      new Audit(cluster, report).freshPurchase("after-bad-input", 45_000);
    } catch (RuntimeException e) {
      report.check("restart of every process succeeds", false, e.getMessage());
    }
  }

  private static boolean shaped(RawHttp.Answer a) {
    try {
      JsonObject json = new JsonObject(a.body());
      return json.getValue("error") instanceof String code
          && !code.isBlank()
          && json.getValue("message") instanceof String message
          && !message.isBlank()
          && a.contentType() != null
          && a.contentType().startsWith("application/json");
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Counts and sums of what the corpus could have touched; only immutable columns of shared tables.
   */
  private Map<String, String> snapshot(long product, List<Api.User> users) throws SQLException {
    Map<String, String> s = new LinkedHashMap<>();
    Long[] ids = users.stream().map(Api.User::id).toArray(Long[]::new);
    try (Connection c = cluster.pg.connect()) {
      s.put(
          "products",
          one(
              c,
              """
          SELECT count(*) || ' rows, price sum ' || coalesce(sum(price), 0) || ', total sum ' || coalesce(sum(total::bigint), 0)
                 || ', md5 ' || md5(coalesce(string_agg(id || '|' || name || '|' || price || '|' || grade || '|' || drop_at::text
                 || '|' || total, ',' ORDER BY id), ''))
          FROM products""",
              null));
      s.put(
          "users",
          one(c, "SELECT count(*) || ' rows, max id ' || coalesce(max(id), 0) FROM users", null));
      s.put(
          "corpus users and admins",
          one(
              c,
              """
          SELECT count(*) || ' rows, points sum ' || coalesce(sum(points), 0) || ', md5 ' || md5(coalesce(string_agg(id || '|'
                 || email || '|' || status || '|' || points || '|' || array_to_string(roles, ',') || '|'
                 || coalesce(encode(address_enc, 'hex'), ''), ',' ORDER BY id), ''))
          FROM users WHERE id = ANY(?) OR 'ADMIN' = ANY(roles)""",
              ids));
      s.put(
          "orders of corpus users or the target product",
          one(
              c,
              "SELECT count(*) || ' rows' FROM orders WHERE user_id = ANY(?) OR product_id = "
                  + product,
              ids));
      s.put(
          "ledger of corpus users",
          one(
              c,
              "SELECT count(*) || ' rows, sum ' || coalesce(sum(amount), 0) FROM point_ledger WHERE user_id = ANY(?)",
              ids));
      s.put(
          "shipments of corpus users",
          one(c, "SELECT count(*) || ' rows' FROM shipments WHERE user_id = ANY(?)", ids));
      s.put("auth tokens", one(c, "SELECT count(*) || ' rows' FROM auth_tokens", null));
    }
    return s;
  }

  private String newRows(Map<String, String> before, List<Api.User> users) {
    List<String> rows = new ArrayList<>();
    try (Connection c = cluster.pg.connect()) {
      try (var st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT id, name, price, total, drop_at::text FROM products ORDER BY id DESC LIMIT 40")) {
        while (rs.next()) {
          String name = rs.getString(2);
          if (name.startsWith("bad-input") && !name.equals("bad-input-target")
              || name.equals("dup")
              || name.equals("forged")
              || name.equals("none")
              || name.equals("user")
              || name.startsWith("n")) {
            rows.add(
                "product "
                    + rs.getLong(1)
                    + " name '"
                    + abbreviate(name)
                    + "' price "
                    + rs.getLong(3)
                    + " total "
                    + rs.getLong(4)
                    + " dropAt "
                    + rs.getString(5));
          }
        }
      }
      try (PreparedStatement st =
          c.prepareStatement(
              "SELECT id, user_id, product_id, status FROM orders WHERE user_id = ANY(?) LIMIT 20")) {
        st.setArray(
            1, c.createArrayOf("bigint", users.stream().map(Api.User::id).toArray(Long[]::new)));
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            rows.add(
                "order "
                    + rs.getString(1)
                    + " of user "
                    + rs.getLong(2)
                    + " status "
                    + rs.getString(4));
          }
        }
      }
      try (var st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT id, email FROM users WHERE email LIKE 'bad-%@faults.test' ORDER BY id LIMIT 20")) {
        while (rs.next()) {
          rows.add("user " + rs.getLong(1) + " " + rs.getString(2));
        }
      }
    } catch (SQLException e) {
      rows.add("(could not list: " + e.getMessage() + ")");
    }
    return rows.isEmpty() ? "(none found by name; see the snapshot diff)" : String.join("; ", rows);
  }

  private static String one(Connection c, String sql, Long[] ids) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      if (ids != null) {
        s.setArray(1, c.createArrayOf("bigint", ids));
      }
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  private static String count(List<String> items) {
    if (items.isEmpty()) {
      return "none";
    }
    return items.size()
        + ": "
        + String.join("; ", items.subList(0, Math.min(items.size(), 12)))
        + (items.size() > 12 ? "; …" : "");
  }

  private static String abbreviate(String text) {
    String oneLine = text == null ? "" : text.replace("\r", " ").replace("\n", " ");
    return oneLine.length() > 120 ? oneLine.substring(0, 120) + "…" : oneLine;
  }
}
