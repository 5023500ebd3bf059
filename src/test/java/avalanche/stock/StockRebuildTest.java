package avalanche.stock;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import avalanche.infra.Clients;
import avalanche.order.HandoffBacklog;
import avalanche.order.OrderIds;
import avalanche.verticles.SagaCoordinatorVerticle;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Rebuilding live stock from PostgreSQL. Redis is shared by the test JVM, so instead of FLUSHALL a
 * test deletes every key of its own product (what a restart with an empty dataset leaves of it).
 */
@ExtendWith(VertxExtension.class)
class StockRebuildTest {
  private static final long TTL_MS = 60_000;

  // The periodic repair would race these tests' own rebuilds: it runs once at start, then not
  // again.
  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject().put("stock", new JsonObject().put("repairIntervalMs", 3_600_000)));

  /** A product of stock 10 with 3 COMPLETED, 2 PENDING and 1 CANCELLED order (users 0..5). */
  private record Scenario(
      long productId, List<Long> users, List<String> orders, JsonObject before) {}

  @Test
  void rebuildsWhatPostgresImpliesAndASecondRebuildChangesNothing(VertxTestContext test) {
    scenario()
        .compose(
            s ->
                lose(s)
                    .compose(v -> rebuild())
                    .compose(
                        created ->
                            snapshot(s)
                                .compose(
                                    first ->
                                        Future.all(expected(s), indexScore(s.productId()))
                                            .compose(
                                                both -> {
                                                  JsonObject expected = both.resultAt(0);
                                                  Response score = both.resultAt(1);
                                                  test.verify(
                                                      () -> {
                                                        assertThat(created).isEqualTo(1);
                                                        JsonObject product =
                                                            first.getJsonObject("product");
                                                        for (String field :
                                                            List.of(
                                                                "name", "price", "grade", "winP",
                                                                "dropAt", "total")) {
                                                          assertThat(product.getString(field))
                                                              .as(field)
                                                              .isEqualTo(
                                                                  s.before().getString(field));
                                                        }
                                                        assertThat(product.getString("sold"))
                                                            .isEqualTo("3");
                                                        assertThat(product.getString("reserved"))
                                                            .isEqualTo("2");
                                                        assertThat(product.getString("available"))
                                                            .isEqualTo("5");
                                                        assertThat(product.getString("won"))
                                                            .isEqualTo("6");
                                                        assertThat(first.getJsonObject("buyers"))
                                                            .isEqualTo(
                                                                expected.getJsonObject("buyers"));
                                                        assertThat(first.getJsonObject("deadlines"))
                                                            .isEqualTo(
                                                                expected.getJsonObject(
                                                                    "deadlines"));
                                                        for (int i = 3; i <= 4; i++) {
                                                          JsonObject order =
                                                              first
                                                                  .getJsonObject("orders")
                                                                  .getJsonObject(s.orders().get(i));
                                                          assertThat(order.getString("userId"))
                                                              .isEqualTo(
                                                                  Long.toString(s.users().get(i)));
                                                          assertThat(order.getString("price"))
                                                              .isEqualTo("100");
                                                          assertThat(order.getString("status"))
                                                              .isEqualTo("PENDING");
                                                          assertThat(order.getString("stock"))
                                                              .isEqualTo("RESERVED");
                                                        }
                                                        assertThat(score)
                                                            .as("back in the products index")
                                                            .isNotNull();
                                                        assertThat(score.toLong())
                                                            .isEqualTo(
                                                                expected.getLong("indexScore"));
                                                      });
                                                  return rebuild()
                                                      .compose(
                                                          again ->
                                                              snapshot(s)
                                                                  .map(
                                                                      second -> {
                                                                        test.verify(
                                                                            () -> {
                                                                              assertThat(again)
                                                                                  .isZero();
                                                                              assertThat(second)
                                                                                  .isEqualTo(first);
                                                                            });
                                                                        return second;
                                                                      }));
                                                }))))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void theRebuiltStockSellsAndSettlesAsBefore(VertxTestContext test) {
    scenario()
        .compose(
            s ->
                lose(s)
                    .compose(v -> rebuild())
                    .compose(
                        v ->
                            purchase(s, 5)
                                .map(
                                    held -> {
                                      test.verify(
                                          () ->
                                              assertThat(held)
                                                  .as("on hold until restored")
                                                  .isEqualTo(503));
                                      return held;
                                    }))
                    .compose(v -> restore())
                    .compose(v -> purchase(s, 0))
                    .compose(repeat -> purchase(s, 5).map(again -> List.of(repeat, again)))
                    .compose(
                        answers ->
                            confirm(s, 3)
                                .compose(
                                    confirmed ->
                                        release(s, 4)
                                            .map(
                                                released -> {
                                                  test.verify(
                                                      () -> {
                                                        assertThat(answers.get(0))
                                                            .as("one attempt per user still holds")
                                                            .isEqualTo(409);
                                                        assertThat(answers.get(1))
                                                            .as(
                                                                "a cancelled order gave the attempt back")
                                                            .isEqualTo(202);
                                                        assertThat(confirmed)
                                                            .isEqualTo("CONFIRMED");
                                                        assertThat(released).isEqualTo("RELEASED");
                                                      });
                                                  return released;
                                                })))
                    .compose(v -> StockProbe.counters(server.redis(), s.productId()))
                    .map(
                        c -> {
                          test.verify(
                              () -> {
                                assertThat(c.getLong("sold")).isEqualTo(4);
                                assertThat(c.getLong("reserved")).isEqualTo(1);
                                assertThat(c.getLong("available")).isEqualTo(5);
                                assertThat(StockProbe.balanced(c)).isTrue();
                              });
                          return c;
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void concurrentRebuildsCreateTheProductOnce(VertxTestContext test) {
    scenario()
        .compose(
            s ->
                lose(s)
                    .compose(v -> Future.all(rebuild(), rebuild(), rebuild()))
                    .compose(
                        all ->
                            StockProbe.counters(server.redis(), s.productId())
                                .map(
                                    c -> {
                                      test.verify(
                                          () -> {
                                            int created =
                                                all.<Integer>resultAt(0)
                                                    + all.<Integer>resultAt(1)
                                                    + all.<Integer>resultAt(2);
                                            assertThat(created).isEqualTo(1);
                                            assertThat(c.getLong("sold")).isEqualTo(3);
                                            assertThat(c.getLong("reserved")).isEqualTo(2);
                                            assertThat(c.getLong("available")).isEqualTo(5);
                                          });
                                      return c;
                                    })))
        .onComplete(test.succeedingThenComplete());
  }

  private static Future<Scenario> scenario() {
    return server
        .createProduct("COMMON", 100, 10)
        .compose(
            productId ->
                server
                    .createUsers(6, 1_000)
                    .compose(
                        users -> {
                          List<String> orders = new ArrayList<>();
                          List<Object[]> rows = new ArrayList<>();
                          String[] statuses = {
                            "COMPLETED", "COMPLETED", "COMPLETED", "PENDING", "PENDING", "CANCELLED"
                          };
                          for (int i = 0; i < users.size(); i++) {
                            orders.add(OrderIds.next(productId));
                            rows.add(new Object[] {orders.get(i), users.get(i), statuses[i]});
                          }
                          return StockProbe.insertOrders(server.pg(), productId, rows)
                              .compose(
                                  v ->
                                      StockProbe.hash(server.redis(), StockKeys.product(productId)))
                              .map(before -> new Scenario(productId, users, orders, before));
                        }));
  }

  /** What a Redis restart with an empty dataset leaves of this product: nothing. */
  private static Future<Void> lose(Scenario s) {
    List<Request> deletes = new ArrayList<>();
    Request del =
        Request.cmd(Command.DEL)
            .arg(StockKeys.product(s.productId()))
            .arg(StockKeys.buyers(s.productId()))
            .arg(StockKeys.deadlines(s.productId()));
    for (String orderId : s.orders()) {
      del.arg(StockKeys.order(orderId));
    }
    deletes.add(del);
    deletes.add(Request.cmd(Command.ZREM).arg(StockKeys.PRODUCT_INDEX).arg(s.productId()));
    return server.redis().batch(deletes).mapEmpty();
  }

  private static Future<Integer> rebuild() {
    return StockRebuild.atStart(server.vertx(), server.app().settings());
  }

  /** One pass of the restore (the saga has no backlog here): lifts the hold. */
  private static Future<Integer> restore() {
    KafkaAdminClient admin =
        KafkaAdminClient.create(
            server.vertx(), Clients.kafkaAdminConfig(server.app().settings().kafka()));
    return new StockRestore(
            server.pg(),
            server.redis(),
            new HandoffBacklog(admin, SagaCoordinatorVerticle.GROUP),
            TTL_MS)
        .run()
        .eventually(admin::close);
  }

  /** Buyers, deadlines and index score that the PostgreSQL rows imply. */
  private static Future<JsonObject> expected(Scenario s) {
    Future<JsonObject> orders =
        server
            .pg()
            .preparedQuery(
                "SELECT id, user_id, status, created_at FROM orders WHERE product_id = $1")
            .execute(Tuple.of(s.productId()))
            .map(
                rows -> {
                  JsonObject buyers = new JsonObject();
                  JsonObject deadlines = new JsonObject();
                  rows.forEach(
                      row -> {
                        String status = row.getString("status");
                        if (!"CANCELLED".equals(status)) {
                          buyers.put(Long.toString(row.getLong("user_id")), row.getString("id"));
                        }
                        if ("PENDING".equals(status)) {
                          deadlines.put(
                              row.getString("id"),
                              row.getOffsetDateTime("created_at").toInstant().toEpochMilli()
                                  + TTL_MS);
                        }
                      });
                  return new JsonObject().put("buyers", buyers).put("deadlines", deadlines);
                });
    Future<Long> created =
        server
            .pg()
            .preparedQuery("SELECT created_at FROM products WHERE id = $1")
            .execute(Tuple.of(s.productId()))
            .map(
                rows ->
                    rows.iterator()
                        .next()
                        .getOffsetDateTime("created_at")
                        .toInstant()
                        .toEpochMilli());
    return Future.all(orders, created)
        .map(both -> orders.result().put("indexScore", created.result()));
  }

  /** Every Redis key of the product, as JSON, plus its index score. */
  private static Future<JsonObject> snapshot(Scenario s) {
    long id = s.productId();
    List<Future<?>> reads = new ArrayList<>();
    reads.add(StockProbe.hash(server.redis(), StockKeys.product(id)));
    reads.add(StockProbe.hash(server.redis(), StockKeys.buyers(id)));
    reads.add(
        server
            .redis()
            .send(Request.cmd(Command.ZRANGE).arg(StockKeys.deadlines(id)).arg(0).arg(-1)));
    reads.add(indexScore(id));
    for (String orderId : s.orders()) {
      reads.add(StockProbe.hash(server.redis(), StockKeys.order(orderId)));
    }
    return Future.all(reads)
        .compose(
            all -> {
              Response members = all.resultAt(2);
              List<Future<Response>> scores = new ArrayList<>();
              for (Response member : members) {
                scores.add(
                    server
                        .redis()
                        .send(
                            Request.cmd(Command.ZSCORE)
                                .arg(StockKeys.deadlines(id))
                                .arg(member.toString())));
              }
              return Future.all(scores)
                  .map(
                      done -> {
                        JsonObject deadlines = new JsonObject();
                        int i = 0;
                        for (Response member : members) {
                          deadlines.put(member.toString(), scores.get(i++).result().toLong());
                        }
                        JsonObject orders = new JsonObject();
                        for (int j = 0; j < s.orders().size(); j++) {
                          JsonObject order = all.resultAt(j + 4);
                          if (!order.isEmpty()) {
                            orders.put(s.orders().get(j), order);
                          }
                        }
                        Response score = all.resultAt(3);
                        return new JsonObject()
                            .put("product", all.resultAt(0))
                            .put("buyers", all.resultAt(1))
                            .put("deadlines", deadlines)
                            .put("orders", orders)
                            .put("indexScore", score == null ? null : score.toLong());
                      });
            });
  }

  private static Future<Response> indexScore(long productId) {
    return server
        .redis()
        .send(Request.cmd(Command.ZSCORE).arg(StockKeys.PRODUCT_INDEX).arg(productId));
  }

  private static Future<Integer> purchase(Scenario s, int user) {
    return server
        .http()
        .post("/api/products/" + s.productId() + "/purchase")
        .bearerTokenAuthentication(server.token(s.users().get(user)))
        .send()
        .map(response -> response.statusCode());
  }

  private static Future<String> confirm(Scenario s, int order) {
    return server.stock().confirm(s.orders().get(order)).map(reply -> reply.getString("result"));
  }

  private static Future<String> release(Scenario s, int order) {
    return server.stock().release(s.orders().get(order)).map(reply -> reply.getString("result"));
  }
}
