package avalanche.faults;

import avalanche.order.OrderIds;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The audit after a scenario: waits until the drop is quiet, then checks the contract's promises
 * and invariants against PostgreSQL (JDBC), Redis (the product hash) and the HTTP stats, and the
 * dead-letter topic.
 */
final class Audit {
  /** The longest a purchase waits for a slow but answering Redis (StockLiveness), and a margin. */
  private static final long HUNG_MS = 9_000;

  private final Cluster cluster;
  private final ScenarioReport report;

  Audit(Cluster cluster, ScenarioReport report) {
    this.cluster = cluster;
    this.report = report;
  }

  /** An order row, as the audit reads it. */
  record Order(
      String id,
      long userId,
      long price,
      String status,
      String reason,
      String sagaState,
      long updatedAt) {}

  // --- waiting for quiet
  // ---------------------------------------------------------------------------------

  /**
   * Waits until every order answered 202 is terminal in PostgreSQL, every order of the product is
   * terminal and no unit is reserved in Redis. Gives up after {@code limitMs}, or once nothing
   * moved for {@code stuckMs}. Returns the ms it took when it got there, else -1.
   */
  long awaitQuiet(long productId, List<String> orderIds, long limitMs, long stuckMs) {
    long start = System.currentTimeMillis();
    String last = "";
    long lastChange = start;
    long lostSince = 0;
    String state = "";
    while (true) {
      try {
        Map<String, Order> orders = orders(productId);
        long answeredTerminal =
            orderIds.stream()
                .map(orders::get)
                .filter(o -> o != null && !"PENDING".equals(o.status()))
                .count();
        long missing = orderIds.stream().filter(id -> !orders.containsKey(id)).count();
        long open = orders.values().stream().filter(o -> "PENDING".equals(o.status())).count();
        long reserved = redisLong(productId, "reserved");
        state =
            "202 orders terminal "
                + answeredTerminal
                + "/"
                + orderIds.size()
                + ", open orders of the product "
                + open
                + ", reserved in Redis "
                + reserved
                + (missing == 0 ? "" : ", 202 orders without a row " + missing);
        if (answeredTerminal == orderIds.size() && open == 0 && reserved == 0) {
          return System.currentTimeMillis() - start;
        }
        // Orders answered 202 that have no row, while nothing is open or reserved any more: the
        // unit was released, so
        // nothing is left that could still create the row (give it 20 s, e.g. for a record still on
        // its way).
        if (answeredTerminal + missing == orderIds.size() && open == 0 && reserved == 0) {
          lostSince = lostSince == 0 ? System.currentTimeMillis() : lostSince;
          if (System.currentTimeMillis() - lostSince > 20_000) {
            report.note(
                "stopped waiting: "
                    + missing
                    + " orders answered 202 have no row, and no order of the product is "
                    + "open nor any unit reserved for 20 s ("
                    + state
                    + ")");
            return -1;
          }
        } else {
          lostSince = 0;
        }
      } catch (RuntimeException | SQLException e) {
        state = "audit read failed: " + e.getMessage();
      }
      long now = System.currentTimeMillis();
      if (!state.equals(last)) {
        last = state;
        lastChange = now;
      }
      if (now - start > limitMs) {
        report.note("not quiet after " + limitMs / 1000 + " s: " + state);
        return -1;
      }
      if (now - lastChange > stuckMs) {
        report.note(
            "gave up waiting after "
                + (now - start) / 1000
                + " s: nothing moved for "
                + stuckMs / 1000
                + " s: "
                + state);
        return -1;
      }
      Sandbox.sleep(1_000);
    }
  }

  // --- the checks
  // ----------------------------------------------------------------------------------------

  /** Answers of the stampede by status, latency, and which were allowed in this scenario. */
  void answers(Stampede.Result result, Set<String> allowed) {
    Map<String, Integer> byKey = result.byKey();
    StringBuilder table = new StringBuilder("| answer | count |\n|---|---|\n");
    byKey.forEach((k, v) -> table.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    report.tables.add(table.toString());
    long failedOver = result.outcomes().stream().filter(Stampede.Outcome::failedOver).count();
    report.fact(
        "attempts",
        result.outcomes().size()
            + " over "
            + (result.endedAt() - result.startedAt()) / 1000.0
            + " s; "
            + failedOver
            + " sent again to the other process after a refused connection");
    report.fact("max latency", result.maxLatency() + " ms");
    List<Stampede.Outcome> slow = result.slow();
    Map<String, Integer> unexpected = new TreeMap<>();
    byKey.forEach(
        (k, v) -> {
          if (!allowed.contains(k)) {
            unexpected.put(k, v);
          }
        });
    report.check(
        "answers are the expected kinds",
        unexpected.isEmpty(),
        unexpected.isEmpty()
            ? "only " + allowed
            : "unexpected: " + unexpected + " (allowed " + allowed + ")");
    String slowDetail =
        slow.isEmpty()
            ? "none slower than " + Stampede.SLOW_MS + " ms (max " + result.maxLatency() + " ms)"
            : slow.size()
                + " slower than "
                + Stampede.SLOW_MS
                + " ms, max "
                + result.maxLatency()
                + " ms; first: "
                + slow.stream()
                    .limit(5)
                    .map(
                        o ->
                            o.key()
                                + " after "
                                + o.latencyMs()
                                + " ms at t+"
                                + o.startMs()
                                + " ms on "
                                + o.node())
                    .collect(Collectors.joining("; "));
    report.fact("slow answers (> " + Stampede.SLOW_MS + " ms)", slowDetail);
    Stampede.FaultClock clock = result.fault();
    if (clock.downAt > 0) {
      // The contract: while a dependency is down, answers are prompt (503 within 2 s, never a hung
      // request). An
      // attempt counts when it was in flight during the outage: sent before the return, answered
      // after the break.
      // A dependency that stays up and only slows (a resharding) is waited for, as long as it
      // answers (stock/StockLiveness): then the promise is no hung request, at most its 8 s wait.
      long promptMs = clock.dependencyDown ? Stampede.SLOW_MS : HUNG_MS;
      List<Stampede.Outcome> slowWhileDown =
          result.outcomes().stream()
              .filter(
                  o ->
                      result.startedAt() + o.startMs() < clock.backAt
                          && result.startedAt() + o.startMs() + o.latencyMs() >= clock.downAt)
              .filter(o -> o.latencyMs() > promptMs)
              .toList();
      long inFlight =
          result.outcomes().stream()
              .filter(
                  o ->
                      result.startedAt() + o.startMs() < clock.backAt
                          && result.startedAt() + o.startMs() + o.latencyMs() >= clock.downAt)
              .count();
      report.check(
          clock.dependencyDown
              ? "answers prompt while down (<= 2 s)"
              : "no hung request while Redis is slow (<= " + HUNG_MS / 1000 + " s)",
          slowWhileDown.isEmpty(),
          slowWhileDown.isEmpty()
              ? inFlight
                  + " attempts in flight during the outage, all answered within "
                  + promptMs
                  + " ms"
              : slowWhileDown.size()
                  + " of "
                  + inFlight
                  + " attempts in flight during the outage took longer, max "
                  + slowWhileDown.stream().mapToLong(Stampede.Outcome::latencyMs).max().orElse(0)
                  + " ms; e.g. "
                  + slowWhileDown.stream()
                      .limit(4)
                      .map(o -> o.key() + " after " + o.latencyMs() + " ms on " + o.node())
                      .collect(Collectors.joining("; ")));
    }
    report.check(
        "no 5xx other than 503",
        result.outcomes().stream().noneMatch(o -> o.status() >= 500 && o.status() != 503),
        "5xx: "
            + result.outcomes().stream()
                .filter(o -> o.status() >= 500 && o.status() != 503)
                .count());
  }

  /**
   * Orders, product invariants, ledger, shipments, stats. {@code users} are the shoppers of the
   * stampede with the points each started with.
   */
  void settle(
      long productId,
      long price,
      List<String> orderIds,
      Map<Long, Long> startPoints,
      long backAt,
      boolean redisLostData)
      throws SQLException {
    Map<String, Order> orders = orders(productId);
    if (redisLostData) {
      // A 202 is as durable as Redis: an order lives only in Redis (its product's outbox) until the
      // relay moved it
      // to order.requested. Those that never got there went with Redis's data (the contract allows
      // it, the docs
      // say for how long); every order that had left Redis must still settle, and is checked below.
      Set<String> relayed = keysOn("order.requested", Set.of(productId));
      List<String> lost =
          orderIds.stream().filter(id -> !orders.containsKey(id) && !relayed.contains(id)).toList();
      report.fact("202 orders lost with Redis's data (never left its outbox)", lost.size());
      orderIds = orderIds.stream().filter(id -> !lost.contains(id)).toList();
    }
    // 1. every 202 is in PostgreSQL and terminal, and COMPLETED (every shopper has points and an
    // address)
    Map<String, Integer> answeredByStatus = new TreeMap<>();
    List<String> missing = new ArrayList<>();
    for (String id : orderIds) {
      Order o = orders.get(id);
      if (o == null) {
        missing.add(id);
        answeredByStatus.merge("MISSING (no row)", 1, Integer::sum);
      } else {
        answeredByStatus.merge(
            o.status()
                + (o.reason().isEmpty() ? "" : " " + o.reason())
                + ("PENDING".equals(o.status()) ? " (" + o.sagaState() + ")" : ""),
            1,
            Integer::sum);
      }
    }
    Map<String, Integer> allByStatus = new TreeMap<>();
    orders
        .values()
        .forEach(
            o ->
                allByStatus.merge(
                    o.status() + (o.reason().isEmpty() ? "" : " " + o.reason()), 1, Integer::sum));
    report.fact("202 orders by final status", answeredByStatus);
    report.fact("all orders of the product", allByStatus);
    long answeredTerminal =
        orderIds.stream()
            .map(orders::get)
            .filter(o -> o != null && !"PENDING".equals(o.status()))
            .count();
    report.check(
        "every 202 order is terminal",
        answeredTerminal == orderIds.size(),
        answeredTerminal
            + "/"
            + orderIds.size()
            + " terminal"
            + (missing.isEmpty()
                ? ""
                : "; "
                    + missing.size()
                    + " have no row, e.g. "
                    + missing.stream().limit(3).toList()));
    long answeredCompleted =
        orderIds.stream()
            .map(orders::get)
            .filter(o -> o != null && "COMPLETED".equals(o.status()))
            .count();
    report.check(
        "every 202 order is COMPLETED",
        answeredCompleted == orderIds.size(),
        answeredCompleted + "/" + orderIds.size() + " COMPLETED; " + answeredByStatus);
    long cancelled = orders.values().stream().filter(o -> "CANCELLED".equals(o.status())).count();
    report.check(
        "no order CANCELLED",
        cancelled == 0,
        cancelled + " CANCELLED (all shoppers have points and an address)");

    // 2. the product's counters, summed over its buckets (units lent between buckets and not
    // received yet are still available)
    Map<String, String> hash = bucketSums(productId);
    long total = num(hash, "total");
    long available = num(hash, "available") + count(hash, "lentOut") - count(hash, "lentIn");
    long reserved = num(hash, "reserved");
    long sold = num(hash, "sold");
    long completed = orders.values().stream().filter(o -> "COMPLETED".equals(o.status())).count();
    long pending = orders.values().stream().filter(o -> "PENDING".equals(o.status())).count();
    report.fact(
        "redis {p:" + productId + "}",
        hash.isEmpty()
            ? "(missing)"
            : "total "
                + total
                + ", available "
                + available
                + ", reserved "
                + reserved
                + ", sold "
                + sold
                + ", attempts "
                + hash.get("attempts")
                + ", won "
                + hash.get("won")
                + ", returns "
                + hash.get("returns")
                + ", buckets "
                + hash.get("buckets")
                + ("1".equals(hash.get("buckets")) ? "" : " (" + hash.get("each") + ")"));
    report.check(
        "total == available + reserved + sold",
        !hash.isEmpty() && total == available + reserved + sold,
        total + " vs " + available + " + " + reserved + " + " + sold);
    report.check(
        "sold == COMPLETED orders", sold == completed, "sold " + sold + ", COMPLETED " + completed);
    report.check("reserved == 0 once quiet", reserved == 0, "reserved " + reserved);
    report.check(
        "winners <= total",
        completed + pending <= total && sold <= total,
        "COMPLETED " + completed + " + PENDING " + pending + " vs total " + total);
    try {
      JsonObject stats = cluster.api.stats(cluster.apiNodes().get(0), productId);
      report.fact("stats (HTTP)", stats.encode());
      boolean same =
          stats.getLong("total", -1L) == total
              && stats.getLong("available", -1L) == available
              && stats.getLong("reserved", -1L) == reserved
              && stats.getLong("sold", -1L) == sold;
      report.check("stats route agrees with Redis", same, stats.encode());
    } catch (RuntimeException e) {
      report.check("stats route agrees with Redis", false, "stats: " + e.getMessage());
    }

    // 3. ledger: one DEDUCT per completed order, refunds for cancelled ones; per user points ==
    // start + ledger
    try (Connection c = cluster.pg.connect()) {
      Map<String, long[]> ledger =
          new HashMap<>(); // order -> {deducts, deductSum, refunds, refundSum}
      try (PreparedStatement s =
          c.prepareStatement(
              """
          SELECT l.order_id, l.kind, count(*), coalesce(sum(l.amount), 0) FROM point_ledger l
          WHERE l.user_id = ANY(?) AND l.order_id IS NOT NULL GROUP BY 1, 2""")) {
        s.setArray(1, longs(c, startPoints.keySet()));
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            long[] v = ledger.computeIfAbsent(rs.getString(1), k -> new long[4]);
            int at =
                "DEDUCT".equals(rs.getString(2)) ? 0 : "REFUND".equals(rs.getString(2)) ? 2 : -1;
            if (at >= 0) {
              v[at] += rs.getLong(3);
              v[at + 1] += rs.getLong(4);
            }
          }
        }
      }
      List<String> badCompleted = new ArrayList<>();
      List<String> badCancelled = new ArrayList<>();
      for (Order o : orders.values()) {
        long[] v = ledger.getOrDefault(o.id(), new long[4]);
        if ("COMPLETED".equals(o.status()) && (v[0] != 1 || v[1] != -o.price() || v[2] != 0)) {
          badCompleted.add(
              o.id() + " deducts " + v[0] + " (" + v[1] + "), refunds " + v[2] + " (" + v[3] + ")");
        }
        if ("CANCELLED".equals(o.status()) && (v[0] > 1 || v[1] + v[3] != 0)) {
          badCancelled.add(
              o.id() + " deducts " + v[0] + " (" + v[1] + "), refunds " + v[2] + " (" + v[3] + ")");
        }
      }
      long strayLedger = ledger.keySet().stream().filter(id -> !orders.containsKey(id)).count();
      report.check(
          "one DEDUCT per COMPLETED order, no refund",
          badCompleted.isEmpty(),
          badCompleted.isEmpty()
              ? completed + " orders"
              : badCompleted.size() + " wrong, e.g. " + badCompleted.stream().limit(3).toList());
      report.check(
          "CANCELLED orders refunded in full",
          badCancelled.isEmpty(),
          badCancelled.isEmpty()
              ? cancelled + " orders"
              : badCancelled.size() + " wrong, e.g. " + badCancelled.stream().limit(3).toList());
      report.check(
          "no ledger row for an order without a row",
          strayLedger == 0,
          strayLedger + " ledger order ids without an orders row");

      List<String> badUsers = new ArrayList<>();
      try (PreparedStatement s =
          c.prepareStatement(
              """
          SELECT u.id, u.points, coalesce((SELECT sum(amount) FROM point_ledger l WHERE l.user_id = u.id), 0)
          FROM users u WHERE u.id = ANY(?)""")) {
        s.setArray(1, longs(c, startPoints.keySet()));
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            long id = rs.getLong(1);
            long points = rs.getLong(2);
            long sum = rs.getLong(3);
            if (points < 0 || points != startPoints.get(id) + sum) {
              badUsers.add(
                  "user "
                      + id
                      + ": points "
                      + points
                      + ", start "
                      + startPoints.get(id)
                      + " + ledger "
                      + sum);
            }
          }
        }
      }
      report.check(
          "per user: points == start + ledger, >= 0",
          badUsers.isEmpty(),
          badUsers.isEmpty()
              ? startPoints.size() + " users"
              : badUsers.size() + " wrong, e.g. " + badUsers.stream().limit(3).toList());

      // 4. shipments
      Map<String, String> shipments = new HashMap<>();
      try (PreparedStatement s =
          c.prepareStatement("SELECT order_id, status FROM shipments WHERE user_id = ANY(?)")) {
        s.setArray(1, longs(c, startPoints.keySet()));
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            shipments.put(rs.getString(1), rs.getString(2));
          }
        }
      }
      long registered = shipments.values().stream().filter("REGISTERED"::equals).count();
      long completedWithout =
          orders.values().stream()
              .filter(o -> "COMPLETED".equals(o.status()))
              .filter(o -> !"REGISTERED".equals(shipments.get(o.id())))
              .count();
      report.check(
          "shipments REGISTERED == orders COMPLETED",
          registered == completed && completedWithout == 0,
          "REGISTERED "
              + registered
              + ", COMPLETED "
              + completed
              + ", COMPLETED without a registered shipment "
              + completedWithout);
    }

    // 5. how long after the dependency came back the first order completed
    if (backAt > 0) {
      long first =
          orders.values().stream()
              .filter(o -> "COMPLETED".equals(o.status()) && o.updatedAt() >= backAt)
              .mapToLong(Order::updatedAt)
              .min()
              .orElse(-1);
      report.fact(
          "first order COMPLETED after the return",
          first < 0 ? "none" : (first - backAt) + " ms after it");
    }
  }

  /** A new product and new shoppers, one purchase on each process: every one must complete. */
  void freshPurchase(String label, long limitMs) {
    List<String> problems = new ArrayList<>();
    long started = System.currentTimeMillis();
    try {
      AvalancheNode first = cluster.apiNodes().get(0);
      long product =
          cluster.api.createProduct(first, "fresh-" + label, 10, cluster.apiNodes().size());
      List<Api.User> users = cluster.api.users(first, cluster.apiNodes().size(), 1_000);
      Map<String, Api.User> orders = new HashMap<>();
      for (int i = 0; i < cluster.apiNodes().size(); i++) {
        AvalancheNode node = cluster.apiNodes().get(i);
        Api.Reply reply = cluster.api.purchase(node, product, users.get(i).token());
        if (reply.status() != 202) {
          problems.add(node.name + " answered " + reply.status() + " " + reply.body());
        } else {
          orders.put(reply.json().getString("orderId"), users.get(i));
        }
      }
      Map<String, String> status = new TreeMap<>();
      long deadline = System.currentTimeMillis() + limitMs;
      while (System.currentTimeMillis() < deadline) {
        status.clear();
        for (var e : orders.entrySet()) {
          Api.Reply r = cluster.api.order(first, e.getValue().token(), e.getKey());
          String s =
              r.json() == null
                  ? r.status() + ""
                  : r.json().getString("status")
                      + (r.json().getString("failureReason") == null
                          ? ""
                          : " " + r.json().getString("failureReason"));
          status.put(e.getKey(), s);
        }
        if (status.values().stream().noneMatch(s -> s.startsWith("PENDING") || s.matches("\\d+"))) {
          break;
        }
        Sandbox.sleep(500);
      }
      status.forEach(
          (id, s) -> {
            if (!"COMPLETED".equals(s)) {
              problems.add(id + " " + s);
            }
          });
      report.fact(
          "fresh purchase",
          orders.size()
              + " orders, "
              + status.values()
              + " after "
              + (System.currentTimeMillis() - started)
              + " ms");
      report.extraProducts.add(product);
    } catch (RuntimeException e) {
      problems.add(e.getMessage());
    }
    report.check(
        "a fresh purchase completes",
        problems.isEmpty(),
        problems.isEmpty() ? "one per process, COMPLETED" : String.join("; ", problems));
  }

  /** The keys (order ids) of the records on {@code topic} that belong to one of the products. */
  Set<String> keysOn(String topic, Collection<Long> productIds) {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            cluster.kafka.bootstrap(),
            ConsumerConfig.GROUP_ID_CONFIG,
            "fault-audit-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            "false",
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            StringDeserializer.class.getName(),
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            ByteArrayDeserializer.class.getName());
    Set<String> keys = new HashSet<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(10))) {
        partitions.add(new TopicPartition(p.topic(), p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(10));
      long deadline = System.currentTimeMillis() + 60_000;
      while (System.currentTimeMillis() < deadline
          && partitions.stream()
              .anyMatch(tp -> consumer.position(tp, Duration.ofSeconds(5)) < end.get(tp))) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.key() != null && productIds.contains(OrderIds.productOf(r.key()))) {
            keys.add(r.key());
          }
        }
      }
    }
    return keys;
  }

  /** Records on {@code dead.letters} whose key is an order of one of the products. */
  void deadLetters(Collection<Long> productIds) {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            cluster.kafka.bootstrap(),
            ConsumerConfig.GROUP_ID_CONFIG,
            "fault-audit-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            "false",
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            StringDeserializer.class.getName(),
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            ByteArrayDeserializer.class.getName());
    Set<Long> products = new HashSet<>(productIds);
    int ours = 0;
    Map<String, Integer> errors = new TreeMap<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor("dead.letters", Duration.ofSeconds(10))) {
        partitions.add(new TopicPartition(p.topic(), p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(10));
      long deadline = System.currentTimeMillis() + 30_000;
      while (System.currentTimeMillis() < deadline
          && partitions.stream()
              .anyMatch(tp -> consumer.position(tp, Duration.ofSeconds(5)) < end.get(tp))) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.key() != null && products.contains(OrderIds.productOf(r.key()))) {
            ours++;
            var header = r.headers().lastHeader("dlt.error");
            var topic = r.headers().lastHeader("dlt.topic");
            String error =
                (topic == null ? "?" : new String(topic.value(), StandardCharsets.UTF_8))
                    + ": "
                    + (header == null ? "?" : new String(header.value(), StandardCharsets.UTF_8));
            errors.merge(error.length() > 120 ? error.substring(0, 120) : error, 1, Integer::sum);
          }
        }
      }
      report.check(
          "no dead letter from our orders",
          ours == 0,
          ours + " records" + (errors.isEmpty() ? "" : ": " + errors));
    } catch (RuntimeException e) {
      report.check("no dead letter from our orders", false, "could not read dead.letters: " + e);
    }
  }

  // --- reading
  // -------------------------------------------------------------------------------------------

  Map<String, Order> orders(long productId) throws SQLException {
    Map<String, Order> orders = new HashMap<>();
    try (Connection c = cluster.pg.connect();
        PreparedStatement s =
            c.prepareStatement(
                """
        SELECT id, user_id, price, status, coalesce(failure_reason, ''), saga_state,
               (extract(epoch FROM updated_at) * 1000)::bigint
        FROM orders WHERE product_id = ?""")) {
      s.setLong(1, productId);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          orders.put(
              rs.getString(1),
              new Order(
                  rs.getString(1),
                  rs.getLong(2),
                  rs.getLong(3),
                  rs.getString(4),
                  rs.getString(5),
                  rs.getString(6),
                  rs.getLong(7)));
        }
      }
    }
    return orders;
  }

  /** The fields of a bucket's hash that add up over buckets ({@code total}: the first only). */
  private static final Set<String> COUNTERS =
      Set.of(
          "available",
          "reserved",
          "sold",
          "attempts",
          "won",
          "lost",
          "returns",
          "arrivals",
          "lentOut",
          "lentIn",
          "soldOutRejections",
          "alreadyPurchased");

  /** The field summed over the product's buckets; -1 while its first bucket is missing. */
  long redisLong(long productId, String field) {
    Map<String, String> sums = bucketSums(productId);
    return sums.isEmpty() ? -1 : num(sums, field);
  }

  /**
   * The product's live hash with every numeric field summed over its buckets ({@code
   * {p:<id>.<salt>}}, salts listed in the first bucket's {@code bucketSalts}), plus {@code
   * buckets}: how many; empty while the first bucket is missing.
   */
  private Map<String, String> bucketSums(long productId) {
    String first = "{p:" + productId + "}";
    Map<String, String> sums = new HashMap<>(Resp.hgetall(cluster.redisPort(first), first));
    if (sums.isEmpty()) {
      return sums;
    }
    String salts = sums.getOrDefault("bucketSalts", "");
    int buckets = 1;
    StringBuilder each = new StringBuilder(bucketLine(first, sums));
    for (String salt : salts.isEmpty() ? new String[0] : salts.split(",")) {
      String tag = "{p:" + productId + "." + salt + "}";
      buckets++;
      Map<String, String> bucket = Resp.hgetall(cluster.redisPort(tag), tag);
      each.append("; ").append(bucketLine(tag, bucket));
      bucket.forEach(
          (field, value) -> {
            if (COUNTERS.contains(field)) {
              sums.put(field, Long.toString(count(sums, field) + Long.parseLong(value)));
            }
          });
    }
    sums.put("buckets", Integer.toString(buckets));
    sums.put("each", each.toString());
    return sums;
  }

  private static String bucketLine(String tag, Map<String, String> hash) {
    return tag
        + " available "
        + hash.get("available")
        + " sold "
        + hash.get("sold")
        + " lentOut "
        + hash.get("lentOut")
        + " lentIn "
        + hash.get("lentIn")
        + " arrivals "
        + hash.get("arrivals");
  }

  /** A counter of a live hash: 0 when absent (never incremented). */
  private static long count(Map<String, String> hash, String field) {
    String v = hash.get(field);
    return v == null ? 0 : Long.parseLong(v);
  }

  private static long num(Map<String, String> hash, String field) {
    String v = hash.get(field);
    return v == null ? -1 : Long.parseLong(v);
  }

  private static Array longs(Connection c, Collection<Long> values) throws SQLException {
    return c.createArrayOf("bigint", values.toArray(new Long[0]));
  }
}
