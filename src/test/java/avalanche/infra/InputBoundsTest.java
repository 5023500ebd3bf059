package avalanche.infra;

import static avalanche.infra.ErrorAnswers.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.App;
import avalanche.LogCapture;
import avalanche.TestServer;
import avalanche.point.PointLedger;
import avalanche.product.ProductRoutes;
import ch.qos.logback.classic.Level;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Tuple;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bad input never changes stored data: numbers out of their range or beyond 64 bits, dates outside
 * the years 2000-2999, NUL characters and invalid UTF-8 are 400 VALIDATION_FAILED naming the field,
 * and the rows of the table the call writes are counted before and after. Blocking calls from the
 * test thread, one at a time, so the counts are exact.
 */
class InputBoundsTest {
  private static final String BEYOND_64_BITS =
      "18446744073709551716"; // 2^64 + 100: getLong() wraps it to 100
  private static final String VALID_PRODUCT =
      "\"name\":\"x\",\"price\":10,\"stock\":5,\"grade\":\"COMMON\"";

  @RegisterExtension
  static final TestServer server =
      TestServer.extension(new JsonObject().put("http", new JsonObject().put("instances", 1)));

  private static String admin;

  @BeforeAll
  static void start() {
    admin = App.await(server.adminToken());
  }

  @Test
  void productNumbersOutOfRangeAreRefusedNeverWrapped() {
    String body = "{\"name\":\"x\",\"price\":%s,\"stock\":%s,\"grade\":\"COMMON\"}";
    List<String[]> bad =
        List.of(
            new String[] {"price", BEYOND_64_BITS, "5"},
            new String[] {"price", "9223372036854775808", "5"},
            new String[] {"price", Long.toString(ProductRoutes.MAX_PRICE + 1), "5"},
            new String[] {"price", "1e30", "5"},
            new String[] {"price", "10.5", "5"},
            new String[] {"price", "-1", "5"},
            new String[] {"stock", "10", "18446744073709551621"},
            new String[] {"stock", "10", Long.toString(ProductRoutes.MAX_STOCK + 1)},
            new String[] {"stock", "10", "4294967301"},
            new String[] {"stock", "10", "1e400"},
            new String[] {"stock", "10", "-1e2"});
    long before = count("products");
    for (String[] c : bad) {
      String text = String.format(body, c[1], c[2]);
      assertError(text, createProduct(json(text)), 400, "VALIDATION_FAILED", c[0]);
    }
    assertThat(count("products")).as("no row stored").isEqualTo(before);

    // The bounds themselves, and integers written with an exponent or a zero fraction, are taken as
    // they are.
    JsonObject largest =
        created(
            createProduct(
                json(String.format(body, ProductRoutes.MAX_PRICE, ProductRoutes.MAX_STOCK))));
    assertThat(largest.getLong("price")).isEqualTo(ProductRoutes.MAX_PRICE);
    assertThat(largest.getLong("total")).isEqualTo(ProductRoutes.MAX_STOCK);
    JsonObject written = created(createProduct(json(String.format(body, "1e2", "5.0"))));
    assertThat(written.getLong("price")).isEqualTo(100);
    assertThat(written.getLong("total")).isEqualTo(5);
  }

  /**
   * {@code +999999999-...} used to answer 500 after storing the row, which then stopped every
   * start.
   */
  @Test
  void dropAtOutsideTheYears2000To2999IsRefused() {
    long before = count("products");
    for (String dropAt :
        List.of(
            "+999999999-12-31T23:59:59Z",
            "1999-12-31T23:59:59.999Z",
            "3000-01-01T00:00:00Z",
            "2999-12-31T23:00:00-05:00",
            "0000-01-01T00:00:00Z",
            "-000001-01-01T00:00:00Z",
            "+10000-01-01T00:00:00Z")) {
      assertError(
          dropAt,
          createProduct(
              ("{" + VALID_PRODUCT + ",\"dropAt\":\"" + dropAt + "\"}")
                  .getBytes(StandardCharsets.UTF_8)),
          400,
          "VALIDATION_FAILED",
          "dropAt");
    }
    assertThat(count("products")).as("no row stored").isEqualTo(before);

    for (String dropAt :
        List.of("2000-01-01T00:00:00Z", "2999-12-31T23:59:59.999Z", "3000-01-01T04:59:59+05:00")) {
      JsonObject product =
          created(
              createProduct(
                  ("{" + VALID_PRODUCT + ",\"dropAt\":\"" + dropAt + "\"}")
                      .getBytes(StandardCharsets.UTF_8)));
      assertThat(product.getString("dropAt")).isNotBlank();
    }
  }

  /** A NUL in a product name used to reach PostgreSQL, which refused it: 500. */
  @Test
  void nulCharactersAndInvalidUtf8AreRefused() {
    Map<String, byte[]> bad =
        Map.of(
            "NUL escape in a value",
                json("{" + VALID_PRODUCT.replace("\"x\"", "\"a\\u0000b\"") + "}"),
            "NUL escape in a field name", json("{" + VALID_PRODUCT + ",\"a\\u0000\":1}"),
            "NUL escape deep inside",
                json("{" + VALID_PRODUCT + ",\"extra\":[{\"k\":\"\\u0000\"}]}"),
            "half a surrogate pair",
                json("{" + VALID_PRODUCT.replace("\"x\"", "\"a\\ud800b\"") + "}"),
            "raw NUL byte",
                bytes(
                    "{\"name\":\"a",
                    new byte[] {0},
                    "b\",\"price\":10,\"stock\":5,\"grade\":\"COMMON\"}"),
            "invalid UTF-8",
                bytes(
                    "{\"name\":\"a",
                    new byte[] {(byte) 0xC3, 0x28},
                    "\",\"price\":10,\"stock\":5,\"grade\":\"COMMON\"}"),
            "overlong UTF-8 NUL",
                bytes(
                    "{\"name\":\"a",
                    new byte[] {(byte) 0xC0, (byte) 0x80},
                    "\",\"price\":10,\"stock\":5,\"grade\":\"COMMON\"}"),
            "UTF-8 encoded surrogate",
                bytes(
                    "{\"name\":\"a",
                    new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                    "\",\"price\":10,\"stock\":5,\"grade\":\"COMMON\"}"),
            "UTF-16", ("{" + VALID_PRODUCT + "}").getBytes(StandardCharsets.UTF_16LE));
    long before = count("products");
    bad.forEach((label, body) -> assertError(label, createProduct(body), 400, "VALIDATION_FAILED"));
    assertError(
        "names the field",
        createProduct(json("{" + VALID_PRODUCT.replace("\"x\"", "\"a\\u0000b\"") + "}")),
        400,
        "VALIDATION_FAILED",
        "name");
    assertThat(count("products")).as("no row stored").isEqualTo(before);

    long users = count("users");
    assertError(
        "signup with a NUL in the name",
        App.await(
            server
                .http()
                .post("/api/auth/signup")
                .putHeader("Content-Type", "application/json")
                .sendBuffer(
                    Buffer.buffer(
                        json(
                            "{\"email\":\"nul-"
                                + System.nanoTime()
                                + "@avalanche.test\",\"password\":\"long-enough-1\",\"name\":\"a\\u0000\","
                                + "\"phone\":\"+1 555 0100\",\"address\":\"1 Street\"}")))),
        400,
        "VALIDATION_FAILED",
        "name");
    assertThat(count("users")).isEqualTo(users);
  }

  @Test
  void aShippingAddressWithANulIsRefusedBeforeTheStock() {
    long product = App.await(server.createProduct("COMMON", 10, 5));
    long user = App.await(server.createUsers(1, 0)).get(0);
    assertError(
        "purchase",
        App.await(
            server
                .http()
                .post("/api/products/" + product + "/purchase")
                .bearerTokenAuthentication(server.token(user))
                .putHeader("Content-Type", "application/json")
                .sendBuffer(Buffer.buffer(json("{\"shippingAddress\":\"1 Street\\u0000\"}")))),
        400,
        "VALIDATION_FAILED",
        "shippingAddress");
    assertThat(count("orders WHERE product_id = " + product)).isZero();
  }

  /** 2^64 + 100 points used to be granted as 100. */
  @Test
  void pointGrantsOutOfRangeAreRefusedAndTheBalanceCannotOutgrowItsBound() {
    long user = App.await(server.createUsers(1, 100)).get(0);
    long ledger = count("point_ledger WHERE user_id = " + user);
    for (String amount :
        List.of(
            BEYOND_64_BITS,
            "-" + BEYOND_64_BITS,
            "1000000000001",
            "-1000000000001",
            "1e30",
            "0.5",
            "\"10\"",
            "true")) {
      assertError(
          amount, grant(user, "{\"amount\":" + amount + "}"), 400, "VALIDATION_FAILED", "amount");
    }
    assertThat(points(user)).isEqualTo(100);

    long rich = App.await(server.createUsers(1, PointLedger.MAX_BALANCE - 5)).get(0);
    assertError(
        "over the balance bound",
        grant(rich, "{\"amount\":10}"),
        400,
        "VALIDATION_FAILED",
        "balance");
    assertThat(points(rich)).isEqualTo(PointLedger.MAX_BALANCE - 5);
    // A balance stored above the bound (and near 2^63) is never summed into an overflow; taking
    // points works.
    long huge = App.await(server.createUsers(1, Long.MAX_VALUE - 1)).get(0);
    assertError(
        "onto a balance near 2^63",
        grant(huge, "{\"amount\":1000000000000}"),
        400,
        "VALIDATION_FAILED");
    assertThat(points(huge)).isEqualTo(Long.MAX_VALUE - 1);
    HttpResponse<Buffer> taken = grant(huge, "{\"amount\":-1}");
    assertThat(taken.statusCode()).as(taken.bodyAsString()).isEqualTo(200);
    assertThat(points(huge)).isEqualTo(Long.MAX_VALUE - 2);
    assertThat(count("point_ledger WHERE user_id IN (" + user + ", " + rich + ")"))
        .isEqualTo(ledger);
  }

  @Test
  void loadTestCountsAndPointsOutOfRangeAreRefused() {
    long users = count("users");
    Map<String, String> bad =
        Map.of(
            "{\"count\":18446744073709551617,\"points\":1}",
            "count",
            "{\"count\":4294967297,\"points\":1}",
            "count",
            "{\"count\":1e30,\"points\":1}",
            "count",
            "{\"count\":1.5,\"points\":1}",
            "count",
            "{\"count\":1,\"points\":" + BEYOND_64_BITS + "}",
            "points",
            "{\"count\":1,\"points\":1000000000001}",
            "points",
            "{\"count\":1,\"points\":-1}",
            "points");
    bad.forEach(
        (body, field) ->
            assertError(
                body,
                App.await(
                    server
                        .http()
                        .post("/api/admin/loadtest/users")
                        .bearerTokenAuthentication(admin)
                        .putHeader("Content-Type", "application/json")
                        .sendBuffer(Buffer.buffer(body))),
                400,
                "VALIDATION_FAILED",
                field));
    assertThat(count("users")).isEqualTo(users);
  }

  /**
   * Header values we read: a token with bytes beyond ASCII is malformed input, not a credential.
   */
  @Test
  void anAuthorizationHeaderBeyondAsciiIs400() throws IOException {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes(
        "GET /api/orders HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ab"
            .getBytes(StandardCharsets.US_ASCII));
    request.writeBytes(new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF});
    request.writeBytes("cd\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    CodecErrorsTest.assertError(
        RawHttp.exchange(server.app().httpPort(), request.toByteArray()), 400, "VALIDATION_FAILED");
  }

  /** Client errors used to be logged as ERROR with a stack trace when they reached the database. */
  @Test
  void clientErrorsAreNotLoggedAboveInfo() {
    try (LogCapture logs = LogCapture.start()) {
      createProduct(json("{" + VALID_PRODUCT.replace("\"x\"", "\"a\\u0000b\"") + "}"));
      createProduct(
          ("{" + VALID_PRODUCT + ",\"dropAt\":\"+999999999-12-31T23:59:59Z\"}")
              .getBytes(StandardCharsets.UTF_8));
      createProduct(
          ("{\"name\":\"x\",\"price\":" + BEYOND_64_BITS + ",\"stock\":5,\"grade\":\"COMMON\"}")
              .getBytes(StandardCharsets.UTF_8));
      App.await(server.http().get("/api/orders").bearerTokenAuthentication("a.b.c").send());
      App.await(server.http().get("/nope").send());
      App.await(server.http().delete("/api/products/1").send());
      assertThat(logs.above(Level.INFO)).isEmpty();
    }
  }

  private static HttpResponse<Buffer> createProduct(byte[] body) {
    return App.await(
        server
            .http()
            .post("/api/admin/products")
            .bearerTokenAuthentication(admin)
            .putHeader("Content-Type", "application/json")
            .sendBuffer(Buffer.buffer(body)));
  }

  private static JsonObject created(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> grant(long user, String body) {
    return App.await(
        server
            .http()
            .post("/api/admin/users/" + user + "/points")
            .bearerTokenAuthentication(admin)
            .putHeader("Content-Type", "application/json")
            .sendBuffer(Buffer.buffer(body)));
  }

  private static long points(long user) {
    return App.await(
            server
                .pg()
                .preparedQuery("SELECT points FROM users WHERE id = $1")
                .execute(Tuple.of(user)))
        .iterator()
        .next()
        .getLong(0);
  }

  /** Rows of {@code from} (a table, possibly with a WHERE clause written by this class). */
  private static long count(String from) {
    return App.await(server.pg().query("SELECT count(*) FROM " + from).execute())
        .iterator()
        .next()
        .getLong(0);
  }

  private static byte[] json(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(String head, byte[] middle, String tail) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
    out.writeBytes(middle);
    out.writeBytes(tail.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }
}
