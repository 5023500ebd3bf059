package avalanche.stock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import avalanche.TestServer;
import avalanche.order.OrderIds;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The stock scripts on the real Redis, called through {@code stock/StockScripts} (so with the key
 * lists production uses) and checked by reading the product's keys straight from Redis. No relay
 * runs in this class's server: a won order stays in its product's outbox, where the tests find it.
 */
@ExtendWith(VertxExtension.class)
class LuaScriptsTest {
  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject().put("verticles", new JsonObject().put("outboxRelay", 0)));

  @Test
  void soldOutWhenNoUnitIsLeft(VertxTestContext test) {
    long before = System.currentTimeMillis();
    server
        .createProduct("COMMON", 150, 1)
        .compose(
            p ->
                reserve(p, "1", 0.0)
                    .compose(
                        first ->
                            reserve(p, "2", 0.0)
                                .compose(
                                    second ->
                                        state(p)
                                            .map(
                                                s -> {
                                                  assertThat(first.getString("outcome"))
                                                      .isEqualTo("RESERVED");
                                                  assertThat(first.getLong("price")).isEqualTo(150);
                                                  assertThat(second.getString("outcome"))
                                                      .isEqualTo("SOLD_OUT");
                                                  assertCounters(
                                                      s,
                                                      Map.of(
                                                          "total",
                                                          1L,
                                                          "available",
                                                          0L,
                                                          "reserved",
                                                          1L,
                                                          "sold",
                                                          0L,
                                                          "attempts",
                                                          2L,
                                                          "won",
                                                          1L,
                                                          "lost",
                                                          0L,
                                                          "soldOutRejections",
                                                          1L));
                                                  String orderId = first.getString("orderId");
                                                  assertThat(s.buyers)
                                                      .containsExactly(entry("1", orderId));
                                                  assertThat(s.orders.get(orderId))
                                                      .contains(
                                                          entry("userId", "1"),
                                                          entry("status", "PENDING"),
                                                          entry("stock", "RESERVED"),
                                                          entry("price", "150"));
                                                  assertThat(s.deadlines).containsOnlyKeys(orderId);
                                                  assertThat(s.deadlines.get(orderId))
                                                      .isGreaterThan(before);
                                                  // The order went to the outbox with the
                                                  // reservation, and only the win did.
                                                  assertThat(s.outbox).hasSize(1);
                                                  String entryId =
                                                      s.outbox.keySet().iterator().next();
                                                  assertThat(s.outbox.get(entryId))
                                                      .containsOnly(
                                                          entry("orderId", orderId),
                                                          entry("userId", "1"),
                                                          entry("productId", Long.toString(p)),
                                                          entry("price", "150"),
                                                          entry("shippingAddress", "1 Test Street"),
                                                          entry(
                                                              "createdAt",
                                                              s.orders
                                                                  .get(orderId)
                                                                  .get("createdAt")));
                                                  assertThat(s.orders.get(orderId))
                                                      .contains(entry("outboxId", entryId));
                                                  return s;
                                                })))
                    .compose(s -> server.createProduct("COMMON", 10, 0))
                    .compose(
                        empty ->
                            reserve(empty, "3", 0.0)
                                .compose(
                                    r ->
                                        state(empty)
                                            .map(
                                                s -> {
                                                  assertThat(r.getString("outcome"))
                                                      .isEqualTo("SOLD_OUT");
                                                  assertCounters(
                                                      s,
                                                      Map.of(
                                                          "available",
                                                          0L,
                                                          "reserved",
                                                          0L,
                                                          "attempts",
                                                          1L,
                                                          "soldOutRejections",
                                                          1L));
                                                  assertThat(s.buyers).isEmpty();
                                                  assertThat(s.outbox).isEmpty();
                                                  return s;
                                                }))))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void onePerUserAndAlreadyPurchasedAnsweredBeforeSoldOut(VertxTestContext test) {
    server
        .createProduct("COMMON", 10, 2)
        .compose(
            p ->
                reserve(p, "1", 0.0)
                    .compose(a -> reserve(p, "1", 0.0))
                    .map(
                        again -> {
                          // Stock is left, but the user already holds an order.
                          assertThat(again.getString("outcome")).isEqualTo("ALREADY_PURCHASED");
                          return again;
                        })
                    .compose(x -> reserve(p, "2", 0.0))
                    .map(
                        second -> {
                          assertThat(second.getString("outcome")).isEqualTo("RESERVED");
                          return second;
                        })
                    .compose(x -> reserve(p, "1", 0.0))
                    .map(
                        bothApply -> {
                          // Sold out and already purchased: the repeat buyer hears
                          // ALREADY_PURCHASED.
                          assertThat(bothApply.getString("outcome")).isEqualTo("ALREADY_PURCHASED");
                          return bothApply;
                        })
                    .compose(x -> reserve(p, "3", 0.0))
                    .compose(
                        late ->
                            state(p)
                                .map(
                                    s -> {
                                      assertThat(late.getString("outcome")).isEqualTo("SOLD_OUT");
                                      assertCounters(
                                          s,
                                          Map.of(
                                              "available",
                                              0L,
                                              "reserved",
                                              2L,
                                              "attempts",
                                              5L,
                                              "won",
                                              2L,
                                              "alreadyPurchased",
                                              2L,
                                              "soldOutRejections",
                                              1L,
                                              "lost",
                                              0L));
                                      assertThat(s.buyers).containsOnlyKeys("1", "2");
                                      return s;
                                    })))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void aLostDrawUsesTheAttemptAndLeavesTheUnitOnSale(VertxTestContext test) {
    // RARE wins with probability 0.5: a draw of exactly 0.5 loses, 0.4999 wins.
    server
        .createProduct("RARE", 10, 5)
        .compose(
            p ->
                reserve(p, "1", 0.5)
                    .compose(
                        lost ->
                            state(p)
                                .map(
                                    s -> {
                                      assertThat(lost.getString("outcome")).isEqualTo("LOST");
                                      assertCounters(
                                          s,
                                          Map.of(
                                              "available",
                                              5L,
                                              "reserved",
                                              0L,
                                              "attempts",
                                              1L,
                                              "won",
                                              0L,
                                              "lost",
                                              1L));
                                      assertThat(s.buyers).containsExactly(entry("1", "LOST"));
                                      assertThat(s.orders).isEmpty();
                                      assertThat(s.deadlines).isEmpty();
                                      assertThat(s.outbox).as("a lost draw is no order").isEmpty();
                                      return s;
                                    }))
                    .compose(x -> reserve(p, "1", 0.0))
                    .compose(
                        again ->
                            reserve(p, "2", 0.4999)
                                .compose(
                                    winner ->
                                        state(p)
                                            .map(
                                                s -> {
                                                  assertThat(again.getString("outcome"))
                                                      .isEqualTo("ALREADY_PURCHASED");
                                                  assertThat(winner.getString("outcome"))
                                                      .isEqualTo("RESERVED");
                                                  assertCounters(
                                                      s,
                                                      Map.of(
                                                          "available",
                                                          4L,
                                                          "reserved",
                                                          1L,
                                                          "attempts",
                                                          3L,
                                                          "won",
                                                          1L,
                                                          "lost",
                                                          1L,
                                                          "alreadyPurchased",
                                                          1L));
                                                  assertThat(s.buyers)
                                                      .containsOnly(
                                                          entry("1", "LOST"),
                                                          entry("2", winner.getString("orderId")));
                                                  assertThat(s.outbox.values())
                                                      .extracting(e -> e.get("orderId"))
                                                      .containsExactly(winner.getString("orderId"));
                                                  return s;
                                                }))))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void dropNotOpenAnswersOpensAtAndCountsNothing(VertxTestContext test) {
    Instant dropAt = Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
    server
        .createProduct(
            new JsonObject()
                .put("name", "later")
                .put("price", 5)
                .put("stock", 3)
                .put("grade", "COMMON")
                .put("dropAt", dropAt.toString()))
        .compose(
            p ->
                reserve(p, "1", 0.0)
                    .compose(
                        closed ->
                            state(p)
                                .map(
                                    s -> {
                                      assertThat(closed.getString("outcome"))
                                          .isEqualTo("DROP_NOT_OPEN");
                                      assertThat(closed.getLong("opensAt"))
                                          .isEqualTo(dropAt.toEpochMilli());
                                      assertCounters(
                                          s,
                                          Map.of(
                                              "available",
                                              3L,
                                              "reserved",
                                              0L,
                                              "attempts",
                                              0L,
                                              "won",
                                              0L));
                                      assertThat(s.buyers).isEmpty();
                                      assertThat(s.outbox).isEmpty();
                                      return s;
                                    })))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void unknownProductIsNotFoundAndCreatesNoKey(VertxTestContext test) {
    long unknown = 8_000_000_000L + ThreadLocalRandom.current().nextLong(1_000_000_000L);
    reserve(unknown, "1", 0.0)
        .compose(
            r ->
                keysOf(unknown)
                    .map(
                        keys -> {
                          assertThat(r.getString("outcome")).isEqualTo("NOT_FOUND");
                          assertThat(keys).isEmpty();
                          return keys;
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void releaseTwiceChangesNothingTheSecondTimeAndGivesTheAttemptBack(VertxTestContext test) {
    server
        .createProduct("COMMON", 10, 1)
        .compose(
            p ->
                reserve(p, "1", 0.0)
                    .compose(
                        first -> {
                          String orderId = first.getString("orderId");
                          return release(orderId)
                              .compose(
                                  released ->
                                      state(p)
                                          .map(
                                              s -> {
                                                assertThat(released.getString("result"))
                                                    .isEqualTo("RELEASED");
                                                assertCounters(
                                                    s,
                                                    Map.of(
                                                        "available",
                                                        1L,
                                                        "reserved",
                                                        0L,
                                                        "sold",
                                                        0L,
                                                        "attempts",
                                                        1L,
                                                        "won",
                                                        1L));
                                                assertThat(s.buyers).isEmpty();
                                                assertThat(s.deadlines).isEmpty();
                                                assertThat(s.orders.get(orderId))
                                                    .contains(
                                                        entry("stock", "RELEASED"),
                                                        entry("status", "CANCELLED"));
                                                return s;
                                              }))
                              .compose(
                                  afterFirst ->
                                      release(orderId)
                                          .compose(
                                              again ->
                                                  state(p)
                                                      .map(
                                                          s -> {
                                                            assertThat(again.getString("result"))
                                                                .isEqualTo("NOOP");
                                                            assertThat(again.getString("state"))
                                                                .isEqualTo("RELEASED");
                                                            assertThat(s).isEqualTo(afterFirst);
                                                            return s;
                                                          })))
                              .compose(x -> reserve(p, "1", 0.0))
                              .compose(
                                  retry ->
                                      release(orderId)
                                          .compose(
                                              third ->
                                                  state(p)
                                                      .map(
                                                          s -> {
                                                            // The attempt came back: the user wins
                                                            // the unit again, and the stale release
                                                            // touches nothing.
                                                            assertThat(retry.getString("outcome"))
                                                                .isEqualTo("RESERVED");
                                                            assertThat(third.getString("result"))
                                                                .isEqualTo("NOOP");
                                                            assertCounters(
                                                                s,
                                                                Map.of(
                                                                    "available",
                                                                    0L,
                                                                    "reserved",
                                                                    1L,
                                                                    "attempts",
                                                                    2L,
                                                                    "won",
                                                                    2L));
                                                            assertThat(s.buyers)
                                                                .containsExactly(
                                                                    entry(
                                                                        "1",
                                                                        retry.getString(
                                                                            "orderId")));
                                                            return s;
                                                          })));
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void confirmTwiceChangesNothingTheSecondTimeAndASoldUnitCannotBeReleased(VertxTestContext test) {
    server
        .createProduct("COMMON", 10, 2)
        .compose(
            p ->
                reserve(p, "1", 0.0)
                    .compose(
                        first -> {
                          String orderId = first.getString("orderId");
                          return confirm(orderId)
                              .compose(
                                  confirmed ->
                                      state(p)
                                          .map(
                                              s -> {
                                                assertThat(confirmed.getString("result"))
                                                    .isEqualTo("CONFIRMED");
                                                assertCounters(
                                                    s,
                                                    Map.of(
                                                        "available",
                                                        1L,
                                                        "reserved",
                                                        0L,
                                                        "sold",
                                                        1L,
                                                        "won",
                                                        1L));
                                                assertThat(s.deadlines).isEmpty();
                                                assertThat(s.buyers)
                                                    .containsExactly(entry("1", orderId));
                                                assertThat(s.orders.get(orderId))
                                                    .contains(
                                                        entry("stock", "SOLD"),
                                                        entry("status", "COMPLETED"));
                                                return s;
                                              }))
                              .compose(
                                  afterFirst ->
                                      confirm(orderId)
                                          .compose(
                                              again ->
                                                  release(orderId)
                                                      .compose(
                                                          releaseSold ->
                                                              state(p)
                                                                  .map(
                                                                      s -> {
                                                                        assertThat(
                                                                                again.getString(
                                                                                    "result"))
                                                                            .isEqualTo("NOOP");
                                                                        assertThat(
                                                                                again.getString(
                                                                                    "state"))
                                                                            .isEqualTo("SOLD");
                                                                        assertThat(
                                                                                releaseSold
                                                                                    .getString(
                                                                                        "result"))
                                                                            .isEqualTo("NOOP");
                                                                        assertThat(
                                                                                releaseSold
                                                                                    .getString(
                                                                                        "state"))
                                                                            .isEqualTo("SOLD");
                                                                        assertThat(s)
                                                                            .isEqualTo(afterFirst);
                                                                        return s;
                                                                      }))))
                              .compose(x -> reserve(p, "1", 0.0))
                              .map(
                                  repeat -> {
                                    assertThat(repeat.getString("outcome"))
                                        .isEqualTo("ALREADY_PURCHASED");
                                    return repeat;
                                  });
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void confirmAfterReleaseFailsAndUnknownOrdersChangeNothing(VertxTestContext test) {
    server
        .createProduct("COMMON", 10, 1)
        .compose(
            p ->
                reserve(p, "1", 0.0)
                    .compose(
                        first -> {
                          String orderId = first.getString("orderId");
                          return release(orderId)
                              .compose(released -> state(p))
                              .compose(
                                  afterRelease ->
                                      confirm(orderId)
                                          .compose(
                                              late ->
                                                  confirm(OrderIds.next(p))
                                                      .compose(
                                                          unknownConfirm ->
                                                              release(OrderIds.next(p))
                                                                  .compose(
                                                                      unknownRelease ->
                                                                          state(p)
                                                                              .map(
                                                                                  s -> {
                                                                                    assertThat(
                                                                                            late
                                                                                                .getString(
                                                                                                    "result"))
                                                                                        .isEqualTo(
                                                                                            "FAILED");
                                                                                    assertThat(
                                                                                            late
                                                                                                .getString(
                                                                                                    "state"))
                                                                                        .isEqualTo(
                                                                                            "RELEASED");
                                                                                    assertThat(
                                                                                            unknownConfirm
                                                                                                .getString(
                                                                                                    "result"))
                                                                                        .isEqualTo(
                                                                                            "FAILED");
                                                                                    assertThat(
                                                                                            unknownConfirm
                                                                                                .getString(
                                                                                                    "state"))
                                                                                        .isEqualTo(
                                                                                            "NONE");
                                                                                    assertThat(
                                                                                            unknownRelease
                                                                                                .getString(
                                                                                                    "result"))
                                                                                        .isEqualTo(
                                                                                            "NOOP");
                                                                                    assertThat(
                                                                                            unknownRelease
                                                                                                .getString(
                                                                                                    "state"))
                                                                                        .isEqualTo(
                                                                                            "NONE");
                                                                                    assertThat(s)
                                                                                        .isEqualTo(
                                                                                            afterRelease);
                                                                                    assertCounters(
                                                                                        s,
                                                                                        Map.of(
                                                                                            "available",
                                                                                            1L,
                                                                                            "reserved",
                                                                                            0L,
                                                                                            "sold",
                                                                                            0L));
                                                                                    return s;
                                                                                  })))));
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void crc16MatchesTheRedisClusterSpec() {
    // Test vector of the Redis Cluster specification (CRC16-CCITT/XMODEM).
    assertThat(crc16("123456789")).isEqualTo(0x31C3);
    assertThat(slot("{user1000}.following")).isEqualTo(slot("{user1000}.followers"));
    assertThat(slot("foo{}{bar}")).isEqualTo(crc16("foo{}{bar}") % 16384);
    assertThat(slot("foo{bar}{zap}")).isEqualTo(crc16("bar") % 16384);
    assertThat(slot("foo{{bar}}zap")).isEqualTo(crc16("{bar") % 16384);
  }

  @Test
  void allKeysOfOneProductHashToOneClusterSlot(VertxTestContext test) {
    server
        .createProduct("RARE", 10, 3)
        .compose(
            p ->
                reserve(p, "1", 0.0)
                    .compose(won -> reserve(p, "2", 0.9).map(lost -> won))
                    .compose(
                        won ->
                            keysOf(p)
                                .map(
                                    keys -> {
                                      String orderId = won.getString("orderId");
                                      Set<String> expected =
                                          Set.of(
                                              StockKeys.product(p),
                                              StockKeys.buyers(p),
                                              StockKeys.deadlines(p),
                                              StockKeys.order(orderId),
                                              StockKeys.outbox(p));
                                      // Every key the scripts created for this product is one the
                                      // scripts were given.
                                      assertThat(keys)
                                          .containsExactlyInAnyOrderElementsOf(expected);
                                      Set<Integer> slots = new HashSet<>();
                                      expected.forEach(key -> slots.add(slot(key)));
                                      assertThat(slots).containsExactly(slot("p:" + p));
                                      return keys;
                                    })))
        .onComplete(test.succeedingThenComplete());
  }

  /**
   * The scripts touch keys only through KEYS[n], so the slot check above covers every key they use.
   */
  @Test
  void scriptsNameKeysOnlyThroughTheirKeysArgument() throws IOException {
    Pattern call = Pattern.compile("redis\\.p?call\\('([A-Z]+)',\\s*([^,)]+)(?:,\\s*([^,)]+))?");
    for (String script :
        List.of(
            "reserve",
            "release",
            "confirm",
            "init_product",
            "rebuild_product",
            "check_stock",
            "outbox_read",
            "outbox_ack",
            "outbox_forget",
            "outbox_holds",
            "queue_join",
            "queue_poll",
            "queue_admit")) {
      String source = source(script);
      Matcher m = call.matcher(source);
      int calls = 0;
      while (m.find()) {
        calls++;
        String command = m.group(1);
        if (command.equals("PUBLISH")) {
          continue; // a channel, not a key
        }
        if (command.equals("XREADGROUP")) {
          // XREADGROUP GROUP g c COUNT n STREAMS key id: the key follows STREAMS.
          String rest = source.substring(m.start(), source.indexOf(')', m.start()));
          assertThat(rest)
              .as(script + ": " + command)
              .containsPattern("'STREAMS',\\s*KEYS\\[\\w+],");
          continue;
        }
        // XGROUP CREATE key ..., XINFO CONSUMERS key ...: the key follows the subcommand.
        String keyArg =
            (command.equals("XGROUP") || command.equals("XINFO") ? m.group(3) : m.group(2)).trim();
        assertThat(keyArg).as(script + ": " + command).matches("KEYS\\[\\w+]|product");
      }
      assertThat(calls).as(script).isPositive();
      if (source.contains("local product")) {
        assertThat(source).contains("local product = KEYS[1]");
      }
    }
  }

  private static String source(String script) throws IOException {
    try (InputStream in = LuaScriptsTest.class.getResourceAsStream("/lua/" + script + ".lua")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  // --- calls through the stock scripts
  // -------------------------------------------------------------

  /** The reservation as JSON: outcome, and price, opensAt or returns as the outcome has one. */
  private static Future<JsonObject> reserve(long productId, String userId, double draw) {
    String orderId = OrderIds.next(productId);
    return StockProbe.attempt(
            server.stock(), productId, Long.parseLong(userId), orderId, draw, "1 Test Street")
        .map(
            r -> {
              JsonObject out =
                  new JsonObject()
                      .put("outcome", r.outcome().name())
                      .put("createdAt", r.createdAt())
                      .put("orderId", orderId);
              return switch (r.outcome()) {
                case RESERVED -> out.put("price", r.price());
                case DROP_NOT_OPEN -> out.put("opensAt", r.opensAt());
                case SOLD_OUT -> out.put("returns", r.returns());
                default -> out;
              };
            });
  }

  private static Future<JsonObject> release(String orderId) {
    return server.stock().release(orderId);
  }

  private static Future<JsonObject> confirm(String orderId) {
    return server.stock().confirm(orderId);
  }

  // --- reading Redis
  // -------------------------------------------------------------------------------

  /** Everything Redis holds for one product. */
  private record State(
      Map<String, String> product,
      Map<String, String> buyers,
      Map<String, Long> deadlines,
      Map<String, Map<String, String>> orders,
      Map<String, Map<String, String>> outbox) {}

  private static Future<State> state(long productId) {
    var redis = server.redis();
    Future<Map<String, String>> product = hash(StockKeys.product(productId));
    Future<Map<String, String>> buyers = hash(StockKeys.buyers(productId));
    Future<Map<String, Long>> deadlines =
        redis
            .send(
                Request.cmd(Command.ZRANGE)
                    .arg(StockKeys.deadlines(productId))
                    .arg(0)
                    .arg(-1)
                    .arg("WITHSCORES"))
            .map(
                r -> {
                  // The client speaks RESP3 with Redis 6+: WITHSCORES answers [[member, score],
                  // ...].
                  Map<String, Long> out = new HashMap<>();
                  for (Response pair : r) {
                    out.put(pair.get(0).toString(), pair.get(1).toDouble().longValue());
                  }
                  return out;
                });
    Future<Map<String, Map<String, String>>> orders =
        keysOf(productId)
            .compose(
                keys -> {
                  String prefix = StockKeys.tag(productId) + ":order:";
                  List<String> orderKeys = keys.stream().filter(k -> k.startsWith(prefix)).toList();
                  List<Future<Map<String, String>>> reads = new ArrayList<>();
                  orderKeys.forEach(k -> reads.add(hash(k)));
                  return Future.all(reads)
                      .map(
                          all -> {
                            Map<String, Map<String, String>> out = new HashMap<>();
                            for (int i = 0; i < orderKeys.size(); i++) {
                              out.put(orderKeys.get(i).substring(prefix.length()), all.resultAt(i));
                            }
                            return out;
                          });
                });
    Future<Map<String, Map<String, String>>> outbox =
        redis
            .send(Request.cmd(Command.XRANGE).arg(StockKeys.outbox(productId)).arg("-").arg("+"))
            .map(
                r -> {
                  Map<String, Map<String, String>> out = new java.util.LinkedHashMap<>();
                  for (Response e : r) {
                    Map<String, String> fields = new HashMap<>();
                    Response list = e.get(1);
                    for (int i = 0; i + 1 < list.size(); i += 2) {
                      fields.put(list.get(i).toString(), list.get(i + 1).toString());
                    }
                    out.put(e.get(0).toString(), fields);
                  }
                  return out;
                });
    return Future.all(product, buyers, deadlines, orders, outbox)
        .map(
            all ->
                new State(
                    product.result(),
                    buyers.result(),
                    deadlines.result(),
                    orders.result(),
                    outbox.result()));
  }

  private static Future<Map<String, String>> hash(String key) {
    return server
        .redis()
        .send(Request.cmd(Command.HGETALL).arg(key))
        .map(
            r -> {
              Map<String, String> out = new HashMap<>();
              if (r != null) {
                for (String field : r.getKeys()) {
                  out.put(field, r.get(field).toString());
                }
              }
              return out;
            });
  }

  /** Every key in Redis that belongs to this product (its hash tag), found with SCAN. */
  private static Future<Set<String>> keysOf(long productId) {
    return scan(
        "0",
        StockKeys.tag(productId).replace("{", "\\{").replace("}", "\\}") + "*",
        new HashSet<>());
  }

  private static Future<Set<String>> scan(String cursor, String pattern, Set<String> found) {
    return server
        .redis()
        .send(
            Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(1000))
        .compose(
            r -> {
              for (Response key : r.get(1)) {
                found.add(key.toString());
              }
              String next = r.get(0).toString();
              return "0".equals(next) ? Future.succeededFuture(found) : scan(next, pattern, found);
            });
  }

  private static void assertCounters(State state, Map<String, Long> expected) {
    expected.forEach(
        (field, value) ->
            assertThat(Long.parseLong(state.product.getOrDefault(field, "0")))
                .as(field)
                .isEqualTo(value));
    long total = Long.parseLong(state.product.get("total"));
    long available = Long.parseLong(state.product.get("available"));
    long reserved = Long.parseLong(state.product.get("reserved"));
    long sold = Long.parseLong(state.product.get("sold"));
    assertThat(available + reserved + sold)
        .as("total == available + reserved + sold")
        .isEqualTo(total);
  }

  // --- Redis Cluster key slots
  // ---------------------------------------------------------------------

  /** The slot of a key per the Redis Cluster spec: CRC16 of the hash tag (if any) modulo 16384. */
  static int slot(String key) {
    int open = key.indexOf('{');
    if (open >= 0) {
      int close = key.indexOf('}', open + 1);
      if (close > open + 1) {
        key = key.substring(open + 1, close);
      }
    }
    return crc16(key) % 16384;
  }

  /**
   * CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, as the Redis Cluster spec defines it.
   */
  static int crc16(String text) {
    int crc = 0;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      crc ^= (b & 0xff) << 8;
      for (int i = 0; i < 8; i++) {
        crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
        crc &= 0xffff;
      }
    }
    return crc;
  }
}
