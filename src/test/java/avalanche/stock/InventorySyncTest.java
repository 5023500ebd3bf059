package avalanche.stock;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import avalanche.infra.Channels;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Redis counters mirrored into PostgreSQL {@code products}; the periodic pass is off, the test
 * triggers one.
 */
@ExtendWith(VertxExtension.class)
class InventorySyncTest {
  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject().put("stock", new JsonObject().put("syncIntervalSeconds", 3_600)));

  @Test
  void aTriggeredSyncWritesTheLiveCountersToPostgres(VertxTestContext test) {
    server
        .createProduct("COMMON", 100, 10)
        .compose(
            productId ->
                server
                    .createUsers(4, 1_000)
                    .compose(
                        users ->
                            buyAll(productId, users)
                                // Two sales confirmed, one released: available 7, reserved 1, sold
                                // 2.
                                .compose(
                                    orderIds ->
                                        server
                                            .stock()
                                            .confirm(orderIds.get(0))
                                            .compose(v -> server.stock().confirm(orderIds.get(1)))
                                            .compose(v -> server.stock().release(orderIds.get(2))))
                                .compose(v -> sync())
                                .compose(
                                    written ->
                                        Future.all(
                                                StockProbe.counters(server.redis(), productId),
                                                row(productId))
                                            .map(
                                                both -> {
                                                  JsonObject live = both.resultAt(0);
                                                  Row row = both.resultAt(1);
                                                  test.verify(
                                                      () -> {
                                                        assertThat(written)
                                                            .isGreaterThanOrEqualTo(1);
                                                        assertThat(live.getLong("available"))
                                                            .isEqualTo(7);
                                                        assertThat(live.getLong("reserved"))
                                                            .isEqualTo(1);
                                                        assertThat(live.getLong("sold"))
                                                            .isEqualTo(2);
                                                        assertThat(row.getInteger("available"))
                                                            .isEqualTo(7);
                                                        assertThat(row.getInteger("reserved"))
                                                            .isEqualTo(1);
                                                        assertThat(row.getInteger("sold"))
                                                            .isEqualTo(2);
                                                        assertThat(
                                                                row.getOffsetDateTime("synced_at"))
                                                            .isNotNull();
                                                      });
                                                  return row.getOffsetDateTime("synced_at");
                                                }))
                                // The next change reaches PostgreSQL with the next pass.
                                .compose(
                                    firstSync ->
                                        server
                                            .http()
                                            .post("/api/products/" + productId + "/purchase")
                                            .bearerTokenAuthentication(server.token(users.get(2)))
                                            .send()
                                            .compose(v -> sync())
                                            .compose(v -> row(productId))
                                            .map(
                                                row -> {
                                                  test.verify(
                                                      () -> {
                                                        assertThat(row.getInteger("available"))
                                                            .isEqualTo(6);
                                                        assertThat(row.getInteger("reserved"))
                                                            .isEqualTo(2);
                                                        assertThat(row.getInteger("sold"))
                                                            .isEqualTo(2);
                                                        assertThat(
                                                                row.getOffsetDateTime("synced_at"))
                                                            .isAfter(firstSync);
                                                      });
                                                  return row;
                                                }))))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void aPassNeverOverwritesANewerSnapshot(VertxTestContext test) {
    // Another process wrote a snapshot taken after this pass's Redis read: it must stay.
    OffsetDateTime later = OffsetDateTime.now().plusHours(1).truncatedTo(ChronoUnit.MICROS);
    server
        .createProduct("COMMON", 100, 10)
        .compose(
            productId ->
                server
                    .pg()
                    .preparedQuery(
                        "UPDATE products SET available = 3, synced_at = $2 WHERE id = $1")
                    .execute(Tuple.of(productId, later))
                    .compose(v -> sync())
                    .compose(v -> row(productId))
                    .map(
                        row -> {
                          test.verify(
                              () -> {
                                assertThat(row.getInteger("available")).isEqualTo(3);
                                assertThat(row.getOffsetDateTime("synced_at").toInstant())
                                    .isEqualTo(later.toInstant());
                              });
                          return row;
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  private static Future<List<String>> buyAll(long productId, List<Long> users) {
    List<Future<String>> orders = new ArrayList<>();
    for (long user : users) {
      orders.add(
          server
              .http()
              .post("/api/products/" + productId + "/purchase")
              .bearerTokenAuthentication(server.token(user))
              .send()
              .map(
                  response -> {
                    if (response.statusCode() != 202) {
                      throw new AssertionError(
                          "purchase answered "
                              + response.statusCode()
                              + " "
                              + response.bodyAsString());
                    }
                    return response.bodyAsJsonObject().getString("orderId");
                  }));
    }
    return Future.all(orders).map(all -> all.list());
  }

  private static Future<Integer> sync() {
    return server
        .vertx()
        .eventBus()
        .<JsonObject>request(Channels.INVENTORY_SYNC, new JsonObject())
        .map(reply -> reply.body().getInteger("products"));
  }

  private static Future<Row> row(long productId) {
    return server
        .pg()
        .preparedQuery("SELECT available, reserved, sold, synced_at FROM products WHERE id = $1")
        .execute(Tuple.of(productId))
        .map(rows -> rows.iterator().next());
  }
}
