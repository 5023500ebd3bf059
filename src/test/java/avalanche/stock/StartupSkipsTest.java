package avalanche.stock;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.App;
import avalanche.LogCapture;
import avalanche.TestServer;
import avalanche.infra.SkippedRows;
import avalanche.order.OrderIds;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Start-up never fails on stored data: rows written straight into PostgreSQL, around the API's
 * checks, that the stock rebuild cannot give to Redis (a drop_at of 'infinity', which used to stop
 * every start with "long overflow"; a PENDING order created at 'infinity') are skipped with one
 * ERROR line each and counted on /metrics, and a second process still starts and serves every other
 * product.
 */
class StartupSkipsTest {
  private static final Pattern SKIPPED =
      Pattern.compile(
          "(?m)^avalanche_startup_rows_skipped_total\\{table=\"products\"[^}]*} ([0-9.]+)$");
  @RegisterExtension static final TestServer server = TestServer.extension();

  @Test
  void unloadableRowsAreSkippedLoggedAndCountedAndEverythingElseServes() {
    long good = App.await(server.createProduct("COMMON", 10, 5));
    long badOrder = App.await(server.createProduct("COMMON", 10, 5));
    long user = App.await(server.createUsers(1, 0)).get(0);
    long badDrop =
        App.await(
                server
                    .pg()
                    .query(
                        """
            INSERT INTO products (name, price, grade, win_probability, drop_at, total, available)
            VALUES ('drop at infinity', 10, 'COMMON', 1.0, 'infinity', 5, 5) RETURNING id""")
                    .execute())
            .iterator()
            .next()
            .getLong(0);
    String order = OrderIds.next(badOrder);
    App.await(
        server
            .pg()
            .preparedQuery(
                """
            INSERT INTO orders (id, user_id, product_id, price, status, created_at)
            VALUES ($1, $2, $3, 10, 'PENDING', 'infinity')""")
            .execute(Tuple.of(order, user, badOrder)));
    try {
      // What a Redis that lost its data leaves of both API-made products: nothing, so the start
      // rebuilds them.
      App.await(
          server
              .redis()
              .batch(
                  List.of(
                      Request.cmd(Command.DEL)
                          .arg(StockKeys.product(good))
                          .arg(StockKeys.buyers(good))
                          .arg(StockKeys.deadlines(good))
                          .arg(StockKeys.product(badOrder))
                          .arg(StockKeys.buyers(badOrder))
                          .arg(StockKeys.deadlines(badOrder)),
                      Request.cmd(Command.ZREM)
                          .arg(StockKeys.PRODUCT_INDEX)
                          .arg(good)
                          .arg(badOrder))));

      List<ILoggingEvent> skips;
      TestServer second;
      try (LogCapture logs = LogCapture.start()) {
        second = TestServer.start();
        skips =
            logs.events().stream()
                .filter(e -> e.getLoggerName().equals(SkippedRows.class.getName()))
                .toList();
      }
      try {
        assertThat(skips).hasSize(2).allMatch(e -> e.getLevel() == Level.ERROR);
        assertThat(skips)
            .anyMatch(e -> e.getFormattedMessage().contains("products row " + badDrop + ":"));
        assertThat(skips)
            .anyMatch(e -> e.getFormattedMessage().contains("products row " + badOrder + ":"));

        HttpResponse<Buffer> metrics = App.await(second.http().get("/metrics").send());
        Matcher skipped = SKIPPED.matcher(metrics.bodyAsString());
        assertThat(skipped.find()).as("the counter is on /metrics").isTrue();
        assertThat(Double.parseDouble(skipped.group(1))).isEqualTo(2.0);

        assertThat(App.await(second.http().get("/api/products/" + good).send()).statusCode())
            .as("the good product was rebuilt and is served")
            .isEqualTo(200);
        assertThat(App.await(second.http().get("/api/products/" + badDrop).send()).statusCode())
            .isEqualTo(404);
        assertThat(App.await(second.http().get("/health").send()).statusCode()).isEqualTo(200);
      } finally {
        second.close();
      }
    } finally {
      // The embedded PostgreSQL is shared by the test JVM: leave nothing that every later start
      // would skip.
      App.await(
          server.pg().preparedQuery("DELETE FROM orders WHERE id = $1").execute(Tuple.of(order)));
      App.await(
          server
              .pg()
              .preparedQuery("DELETE FROM products WHERE id = $1")
              .execute(Tuple.of(badDrop)));
    }
  }
}
