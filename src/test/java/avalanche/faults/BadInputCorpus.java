package avalanche.faults;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The bad-input corpus: requests every one of which must be refused with a 4xx — the contract's
 * JSON error {@code {"error", "message"}} for whatever reaches the application, never a 5xx, never
 * a hang — and none of which may change stored data. {@code codec} cases are refused by the HTTP
 * codec before any route runs (request line, header and length errors): there the body's shape is
 * recorded, not required.
 */
final class BadInputCorpus {
  record Case(String category, String name, boolean codec, boolean halfClose, byte[] request) {}

  /** What the corpus needs from the running system. */
  record Context(
      long productId,
      String adminToken,
      Api.User tokenUser,
      long victimUserId,
      String jwtSecret,
      String tag,
      Supplier<Api.User> purchaser) {}

  private static final String BIG_64 =
      "18446744073709551716"; // 2^64 + 100: wraps to 100 in 64 bits
  private static final List<String> OUT_OF_RANGE =
      List.of(
          BIG_64,
          "9223372036854775808",
          "-9223372036854775809",
          "123456789012345678901234567890",
          "-18446744073709551716",
          "1e19",
          "1e30",
          "1e308",
          "1e400",
          "-1e400");
  private static final List<String> INVALID_UTF8_NAMES =
      List.of(
          "ff",
          "fe ff",
          "c0 af",
          "ed a0 80",
          "e2 82",
          "80",
          "f8 88 80 80 80",
          "f4 90 80 80",
          "c3",
          "e0 80 af");

  private final Context ctx;
  private final List<Case> cases = new ArrayList<>();

  private BadInputCorpus(Context ctx) {
    this.ctx = ctx;
  }

  static List<Case> build(Context ctx) {
    BadInputCorpus corpus = new BadInputCorpus(ctx);
    corpus.productCreation();
    corpus.loadTestUsers();
    corpus.adminPoints();
    corpus.purchases();
    corpus.tokens();
    corpus.auth();
    corpus.queriesAndIds();
    corpus.methodsAndPaths();
    corpus.protocol();
    return corpus.cases;
  }

  // --- POST /api/admin/products
  // ------------------------------------------------------------------------------

  private void productCreation() {
    String path = "/api/admin/products";
    for (String malformed :
        List.of(
            "{",
            "{\"name\":",
            "[",
            "{\"name\":\"x\",}",
            "{'name':'x'}",
            "nul",
            "{\"a\":1}}",
            "{} x",
            "{\"name\":\"x",
            "{\"name\":\"x\" \"price\":1}",
            "\"text\"",
            "null",
            "[]",
            "123",
            "{\"name\"}",
            "{\"name\":\"x\",\"price\":1,\"stock\":1,\"grade\":\"COMMON\"",
            "{\"price\":01}",
            "{\"price\":+1}",
            "{\"price\":.5}",
            "{\"price\":NaN}",
            "{\"price\":Infinity}",
            "{\"price\":0x10}")) {
      app("product/malformed", malformed, req("POST", path, ctx.adminToken(), utf8(malformed)));
    }
    String[] wrongTypes = {"1", "true", "[]", "{}", "[\"x\"]", "-1.5"};
    for (String field : List.of("name", "price", "stock", "grade", "dropAt")) {
      for (String value : wrongTypes) {
        if ((field.equals("price") || field.equals("stock")) && (value.equals("1"))) {
          continue; // a valid number
        }
        app(
            "product/type",
            field + "=" + value,
            req("POST", path, ctx.adminToken(), product(field, value)));
      }
    }
    for (String field : List.of("name", "price", "stock", "grade")) {
      app("product/missing", field, req("POST", path, ctx.adminToken(), product(field, null)));
      app("product/null", field, req("POST", path, ctx.adminToken(), product(field, "null")));
    }
    for (String n : OUT_OF_RANGE) {
      app("product/number", "price=" + n, req("POST", path, ctx.adminToken(), product("price", n)));
      app("product/number", "stock=" + n, req("POST", path, ctx.adminToken(), product("stock", n)));
    }
    for (String n :
        List.of(
            "-1",
            "1.5",
            "1000000001",
            "\"100\"",
            "1e-7",
            "2147483648",
            "4294967296",
            "-2147483649")) {
      app("product/number", "price=" + n, req("POST", path, ctx.adminToken(), product("price", n)));
      app("product/number", "stock=" + n, req("POST", path, ctx.adminToken(), product("stock", n)));
    }
    for (String date :
        List.of(
            "+999999999-12-31T23:59:59Z",
            "-999999999-01-01T00:00:00Z",
            "1999-12-31T23:59:59Z",
            "3000-01-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "+10000-01-01T00:00:00Z",
            "-0001-01-01T00:00:00Z",
            "1000-06-15T12:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T25:00:00Z",
            "2026-01-01",
            "now",
            "",
            "2026-01-01T00:00:00+25:00",
            "+999999999-12-31T23:59:59+18:00",
            "3000-01-01T00:00:00-18:00")) {
      app(
          "product/dropAt",
          date,
          req("POST", path, ctx.adminToken(), product("dropAt", json(date))));
    }
    app(
        "product/dropAt",
        "NUL at the end",
        req(
            "POST",
            path,
            ctx.adminToken(),
            product("dropAt", "\"2026-01-01T00:00:00Z" + esc("0000") + "\"")));
    for (String field : List.of("name", "grade")) {
      app(
          "product/NUL",
          field + " a\\0b",
          req("POST", path, ctx.adminToken(), product(field, "\"a" + esc("0000") + "b\"")));
      app(
          "product/NUL",
          field + " \\0 only",
          req("POST", path, ctx.adminToken(), product(field, "\"" + esc("0000") + "\"")));
      app(
          "product/NUL",
          field + " COMMON\\0",
          req("POST", path, ctx.adminToken(), product(field, "\"COMMON" + esc("0000") + "\"")));
    }
    app(
        "product/surrogate",
        "name lone high surrogate",
        req("POST", path, ctx.adminToken(), product("name", "\"x" + esc("d800") + "\"")));
    app(
        "product/surrogate",
        "name lone low surrogate",
        req("POST", path, ctx.adminToken(), product("name", "\"" + esc("dfff") + "y\"")));
    for (String hex : INVALID_UTF8_NAMES) {
      app(
          "product/utf8",
          "name bytes " + hex,
          req("POST", path, ctx.adminToken(), productRaw("name", hex)));
    }
    for (String hex : List.of("ff", "c0 af", "ed a0 80")) {
      app(
          "product/utf8",
          "grade bytes " + hex,
          req("POST", path, ctx.adminToken(), productRaw("grade", hex)));
      app(
          "product/utf8",
          "dropAt bytes " + hex,
          req("POST", path, ctx.adminToken(), productRaw("dropAt", hex)));
    }
    app(
        "product/nesting",
        "name [[[...]]] x5000",
        req("POST", path, ctx.adminToken(), product("name", "[".repeat(5000) + "]".repeat(5000))));
    app(
        "product/nesting",
        "name [[[...]]] x20000",
        req(
            "POST",
            path,
            ctx.adminToken(),
            product("name", "[".repeat(20000) + "]".repeat(20000))));
    app(
        "product/nesting",
        "{\"a\":{...}} x3000",
        req("POST", path, ctx.adminToken(), utf8("{\"a\":".repeat(3000) + "1" + "}".repeat(3000))));
    app(
        "product/nesting",
        "top-level [[[...]]] x30000",
        req("POST", path, ctx.adminToken(), utf8("[".repeat(30000) + "]".repeat(30000))));
    app(
        "product/size",
        "name 201 characters",
        req("POST", path, ctx.adminToken(), product("name", json("n".repeat(201)))));
    app(
        "product/size",
        "name 60000 characters",
        req("POST", path, ctx.adminToken(), product("name", json("n".repeat(60_000)))));
    app(
        "product/size",
        "body 70 KiB",
        req("POST", path, ctx.adminToken(), product("name", json("n".repeat(70 * 1024)))));
    app(
        "product/size",
        "grade 21 characters",
        req("POST", path, ctx.adminToken(), product("grade", json("C".repeat(21)))));
    app(
        "product/duplicate",
        "price twice, last beyond 64 bits",
        req(
            "POST",
            path,
            ctx.adminToken(),
            utf8(
                "{\"name\":\"dup\",\"price\":1,\"stock\":1,\"grade\":\"COMMON\",\"price\":"
                    + BIG_64
                    + "}")));
    app(
        "product/grade",
        "unknown grade",
        req("POST", path, ctx.adminToken(), product("grade", "\"EPIC\"")));
  }

  // --- POST /api/admin/loadtest/users
  // ------------------------------------------------------------------------

  private void loadTestUsers() {
    String path = "/api/admin/loadtest/users";
    for (String count :
        List.of(
            "0", "-1", "10001", "1e30", "\"5\"", BIG_64, "1.5", "null", "-9223372036854775809")) {
      app(
          "loadtest",
          "count=" + count,
          req("POST", path, ctx.adminToken(), utf8("{\"count\":" + count + ",\"points\":1}")));
    }
    for (String points :
        List.of(
            "-1",
            BIG_64,
            "1e30",
            "1000000000001",
            "\"x\"",
            "1.5",
            "9223372036854775808",
            "-1e400")) {
      app(
          "loadtest",
          "points=" + points,
          req("POST", path, ctx.adminToken(), utf8("{\"count\":1,\"points\":" + points + "}")));
    }
    app("loadtest", "malformed", req("POST", path, ctx.adminToken(), utf8("{\"count\":")));
  }

  // --- POST /api/admin/users/{userId}/points
  // -----------------------------------------------------------------

  private void adminPoints() {
    String path = "/api/admin/users/" + ctx.victimUserId() + "/points";
    for (String amount :
        List.of(
            "9223372036854775807",
            "9223372036854775808",
            BIG_64,
            "-18446744073709551716",
            "-9223372036854775809",
            "1e30",
            "-1e30",
            "1.5",
            "\"10\"",
            "null",
            "true",
            "[]",
            "{}",
            "1e400")) {
      app(
          "points",
          "amount=" + amount,
          req("POST", path, ctx.adminToken(), utf8("{\"amount\":" + amount + "}")));
    }
    app("points", "malformed", req("POST", path, ctx.adminToken(), utf8("{\"amount\":")));
    app(
        "points",
        "amount NUL string",
        req("POST", path, ctx.adminToken(), utf8("{\"amount\":\"" + esc("0000") + "\"}")));
    for (String id :
        List.of(
            "abc", "-1", "0", BIG_64, "9223372036854775808", "1.5", "%00", "%ff", "1%00", "1e3")) {
      app(
          "points",
          "userId " + id,
          req(
              "POST",
              "/api/admin/users/" + id + "/points",
              ctx.adminToken(),
              utf8("{\"amount\":1}")));
    }
  }

  // --- POST /api/products/{productId}/purchase
  // -----------------------------------------------------------------

  private void purchases() {
    String path = "/api/products/" + ctx.productId() + "/purchase";
    for (String body :
        List.of(
            "{oops",
            "[",
            "\"x\"",
            "{\"shippingAddress\":5}",
            "{\"shippingAddress\":true}",
            "{\"shippingAddress\":[\"x\"]}",
            "{\"shippingAddress\":{}}",
            "{\"shippingAddress\":" + BIG_64 + "}",
            "{\"shippingAddress\":\"12 Main St" + esc("0000") + "\"}",
            "{\"shippingAddress\":\"" + esc("0000") + "\"}",
            "{\"shippingAddress\":\"12 Main St " + esc("d800") + "\"}",
            "{\"shippingAddress\":" + "[".repeat(5000) + "]".repeat(5000) + "}")) {
      app(
          "purchase/body",
          body.length() > 60 ? body.substring(0, 60) + "…" : body,
          req("POST", path, ctx.purchaser().get().token(), utf8(body)));
    }
    for (String hex : List.of("ff", "c0 af", "ed a0 80", "e2 82")) {
      app(
          "purchase/utf8",
          "shippingAddress bytes " + hex,
          req(
              "POST",
              path,
              ctx.purchaser().get().token(),
              bytes("{\"shippingAddress\":\"12 Main St ", hex(hex), "\"}")));
    }
    app(
        "purchase/size",
        "shippingAddress 70 KiB",
        req(
            "POST",
            path,
            ctx.purchaser().get().token(),
            utf8("{\"shippingAddress\":\"" + "a".repeat(70 * 1024) + "\"}")));
    app(
        "purchase/header",
        "Idempotency-Key 129 characters",
        reqHeaders(
            "POST",
            path,
            List.of(bearer(ctx.purchaser().get().token()), "Idempotency-Key: " + "k".repeat(129)),
            null));
    for (String id :
        List.of(
            "abc",
            "-1",
            "0",
            BIG_64,
            "9223372036854775808",
            "1.5",
            "%00",
            "%ff",
            "1%00",
            "1e3",
            "0x10",
            "%20" + ctx.productId())) {
      app(
          "purchase/id",
          id,
          req("POST", "/api/products/" + id + "/purchase", ctx.tokenUser().token(), null));
    }
  }

  // --- tokens
  // ---------------------------------------------------------------------------------------------------

  private void tokens() {
    String[] parts = ctx.tokenUser().token().split("\\.");
    JsonObject claims =
        new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
    long now = System.currentTimeMillis() / 1000;
    String hs256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    String secret = ctx.jwtSecret();
    String wrong = "not-the-secret-not-the-secret-not-the-secret";
    // Tokens signed with the real key are only those no issued token could look like (expired, exp
    // out of range,
    // no or bad subject...): a well-formed one is authentic by definition, whatever its session.
    JsonObject admin =
        claims.copy().put("roles", new io.vertx.core.json.JsonArray().add("USER").add("ADMIN"));
    Map<String, String> tokens = new LinkedHashMap<>();
    tokens.put("forged admin (other key)", jwt(hs256, admin.encode(), wrong));
    tokens.put(
        "expired an hour ago", jwt(hs256, claims.copy().put("exp", now - 3600).encode(), secret));
    tokens.put("alg none, admin", jwt("{\"alg\":\"none\",\"typ\":\"JWT\"}", admin.encode(), null));
    tokens.put("alg none, signature kept", jwt("{\"alg\":\"none\"}", claims.encode(), secret));
    tokens.put("exp 1e30", jwt(hs256, withRaw(claims, "exp", "1e30"), secret));
    tokens.put("exp 1e30, other key", jwt(hs256, withRaw(claims, "exp", "1e30"), wrong));
    tokens.put("exp beyond 64 bits", jwt(hs256, withRaw(claims, "exp", BIG_64), secret));
    tokens.put(
        "exp as text", jwt(hs256, withRaw(claims, "exp", "\"" + (now + 600) + "\""), secret));
    tokens.put("exp -1", jwt(hs256, withRaw(claims, "exp", "-1"), secret));
    tokens.put("no exp", jwt(hs256, without(claims, "exp"), secret));
    tokens.put(
        "iat in a year", jwt(hs256, claims.copy().put("iat", now + 31_536_000L).encode(), secret));
    tokens.put(
        "nbf in a year", jwt(hs256, claims.copy().put("nbf", now + 31_536_000L).encode(), secret));
    tokens.put("sub not a number", jwt(hs256, claims.copy().put("sub", "abc").encode(), secret));
    tokens.put("sub beyond 64 bits", jwt(hs256, claims.copy().put("sub", BIG_64).encode(), secret));
    tokens.put(
        "sub as JSON number beyond 64 bits", jwt(hs256, withRaw(claims, "sub", BIG_64), secret));
    tokens.put(
        "sub with NUL", jwt(hs256, withRaw(claims, "sub", "\"1" + esc("0000") + "\""), secret));
    tokens.put("no sub", jwt(hs256, without(claims, "sub"), secret));
    tokens.put("alg HS512 header", jwt("{\"alg\":\"HS512\"}", claims.encode(), secret));
    tokens.put("alg RS256 header", jwt("{\"alg\":\"RS256\"}", claims.encode(), secret));
    tokens.put("header not JSON", b64("nope") + "." + parts[1] + "." + parts[2]);
    tokens.put("payload not JSON", jwt(hs256, "nope", secret));
    tokens.put("payload a JSON array", jwt(hs256, "[1,2]", secret));
    tokens.put(
        "payload invalid UTF-8",
        jwtBytes(hs256, bytes("{\"sub\":\"", hex("ff fe"), "\"}"), secret));
    tokens.put("signature altered", parts[0] + "." + parts[1] + "." + flip(parts[2]));
    tokens.put("payload altered", parts[0] + "." + flip(parts[1]) + "." + parts[2]);
    tokens.put("bad base64", parts[0] + ".*&^%." + parts[2]);
    tokens.put("two segments", parts[0] + "." + parts[1]);
    tokens.put("four segments", ctx.tokenUser().token() + ".x");
    tokens.put("empty", "");
    tokens.put("dots only", "..");
    tokens.put(
        "6 KiB of garbage",
        "a".repeat(6 * 1024)); // under the 8 KiB header limit: the application reads it
    List<String> routes =
        List.of(
            "GET /api/users/me",
            "POST /api/products/" + ctx.productId() + "/purchase",
            "GET /api/admin/products/" + ctx.productId() + "/stats");
    tokens.forEach(
        (name, token) -> {
          for (String route : routes) {
            String[] mr = route.split(" ");
            app(
                "token",
                name + " → " + mr[0] + " " + mr[1].replaceAll("/\\d+", "/{id}"),
                reqHeaders(mr[0], mr[1], List.of(bearer(token)), null));
          }
        });
    String forgedAdmin = tokens.get("forged admin (other key)");
    app(
        "token",
        "forged admin creates a product",
        req("POST", "/api/admin/products", forgedAdmin, product("name", "\"forged\"")));
    app(
        "token",
        "alg none admin creates a product",
        req(
            "POST",
            "/api/admin/products",
            tokens.get("alg none, admin"),
            product("name", "\"none\"")));
    app(
        "token",
        "user token creates a product",
        req("POST", "/api/admin/products", ctx.tokenUser().token(), product("name", "\"user\"")));
    for (String header :
        List.of(
            "Authorization: Basic YWRtaW46YWRtaW4=",
            "Authorization: Bearer",
            "Authorization: Bearer ",
            "Authorization: Token " + ctx.tokenUser().token(),
            "Authorization: " + ctx.tokenUser().token(),
            "Authorization: Bearer " + ctx.tokenUser().token() + " extra",
            "Authorization: bearer garbage")) {
      app(
          "token",
          header.length() > 40 ? header.substring(0, 40) + "…" : header,
          reqHeaders("GET", "/api/users/me", List.of(header), null));
    }
  }

  // --- auth routes
  // -----------------------------------------------------------------------------------------------

  private void auth() {
    for (String body :
        List.of(
            "{\"email\":",
            "[]",
            "\"x\"",
            "{\"email\":5,\"password\":\"password1\",\"clientId\":\"c\"}",
            "{\"email\":\"a@b.cd\",\"password\":1e30,\"clientId\":\"c\"}",
            "{\"email\":\"a@b.cd\",\"password\":\"password1\",\"clientId\":\""
                + "c".repeat(65)
                + "\"}",
            "{\"email\":\"a@b.cd\",\"password\":\"password1\",\"clientId\":\"\"}",
            "{\"email\":\"a"
                + esc("0000")
                + "@b.cd\",\"password\":\"password1\",\"clientId\":\"c\"}",
            "{\"email\":\"a@b.cd\",\"password\":\"pass"
                + esc("0000")
                + "word1\",\"clientId\":\"c\"}",
            "{\"email\":\"a@b.cd\",\"password\":\"password1\",\"clientId\":\"c"
                + esc("0000")
                + "\"}",
            "{\"email\":" + "[".repeat(5000) + "]".repeat(5000) + "}")) {
      app("auth/login", abbreviate(body), req("POST", "/api/auth/login", null, utf8(body)));
    }
    app(
        "auth/login",
        "email invalid UTF-8",
        req(
            "POST",
            "/api/auth/login",
            null,
            bytes(
                "{\"email\":\"a",
                hex("ff"),
                "@b.cd\",\"password\":\"password1\",\"clientId\":\"c\"}")));
    int n = 0;
    for (String[] field :
        List.of(
            new String[] {"name", "\"Ann" + esc("0000") + "\""},
            new String[] {"phone", "\"+1 555" + esc("0000") + "\""},
            new String[] {"address", "\"1 Main St" + esc("0000") + "\""},
            new String[] {"name", "\"Ann " + esc("d800") + "\""},
            new String[] {"address", "\"" + esc("dfff") + " Main St\""},
            new String[] {"email", "5"},
            new String[] {"password", "\"short\""},
            new String[] {"name", "[" + "[".repeat(3000) + "]".repeat(3000) + "]"},
            new String[] {"name", json("n".repeat(60_000))},
            new String[] {"phone", BIG_64},
            new String[] {"email", "\"not-an-email\""},
            new String[] {"address", "null"})) {
      String email = "bad-" + ctx.tag() + "-" + (n++) + "@faults.test";
      Map<String, String> signup = new LinkedHashMap<>();
      signup.put("email", json(email));
      signup.put("password", json("password-1234"));
      signup.put("name", json("Ann"));
      signup.put("phone", json("+1 555 0100"));
      signup.put("address", json("1 Main Street, Springfield"));
      signup.put(field[0], field[1]);
      app(
          "auth/signup",
          field[0] + "=" + abbreviate(field[1]),
          req("POST", "/api/auth/signup", null, utf8(object(signup))));
    }
    for (String hex : List.of("ff", "c0 af", "ed a0 80")) {
      String email = "bad-" + ctx.tag() + "-" + (n++) + "@faults.test";
      app(
          "auth/signup",
          "name bytes " + hex,
          req(
              "POST",
              "/api/auth/signup",
              null,
              bytes(
                  "{\"email\":\"" + email + "\",\"password\":\"password-1234\",\"name\":\"A",
                  hex(hex),
                  "\",\"phone\":\"+1 555 0100\",\"address\":\"1 Main St\"}")));
    }
    app("auth/signup", "malformed", req("POST", "/api/auth/signup", null, utf8("{\"email\":\"x")));
    for (String body :
        List.of(
            "{\"refreshToken\":\"garbage\"}",
            "{\"refreshToken\":5}",
            "{\"refreshToken\":\"a" + esc("0000") + "\"}",
            "{\"refreshToken\":\"" + "r".repeat(10_000) + "\"}",
            "{\"refreshToken\":")) {
      app("auth/refresh", abbreviate(body), req("POST", "/api/auth/refresh", null, utf8(body)));
    }
    for (String query :
        List.of(
            "",
            "?token=",
            "?token=garbage",
            "?token=%00",
            "?token=%ff%fe",
            "?token=" + "t".repeat(3000))) {
      app(
          "auth/verify",
          "verify" + abbreviate(query),
          req("GET", "/api/auth/verify" + query, null, null));
    }
    for (String body :
        List.of("{\"email\":5}", "{\"email\":\"a" + esc("0000") + "@b.cd\"}", "{\"email\":")) {
      app(
          "auth/reset",
          abbreviate(body),
          req("POST", "/api/auth/password/reset", null, utf8(body)));
      app(
          "auth/resend",
          abbreviate(body),
          req("POST", "/api/auth/verify/resend", null, utf8(body)));
    }
    for (String body :
        List.of(
            "{\"token\":\"garbage\",\"newPassword\":\"password-1234\"}",
            "{\"token\":5,\"newPassword\":\"password-1234\"}",
            "{\"token\":\"t" + esc("0000") + "\",\"newPassword\":\"password-1234\"}",
            "{\"token\":\"garbage\",\"newPassword\":\"x\"}",
            "{")) {
      app(
          "auth/reset-confirm",
          abbreviate(body),
          req("POST", "/api/auth/password/reset/confirm", null, utf8(body)));
    }
    app("auth/logout", "no token", req("POST", "/api/auth/logout", null, null));
  }

  // --- queries and ids
  // -------------------------------------------------------------------------------------------

  private void queriesAndIds() {
    String token = ctx.tokenUser().token();
    for (String query :
        List.of(
            "page=-1",
            "page=abc",
            "size=abc",
            "size=-5",
            "size=1e30",
            "page=" + BIG_64,
            "size=" + BIG_64,
            "page=%00",
            "page=1.5",
            "size=%ff")) {
      app("orders/query", query, req("GET", "/api/orders?" + query, token, null));
    }
    for (String id :
        List.of("x", "%00", "a".repeat(1000), "..%2f..%2fetc%2fpasswd", "%ff", BIG_64)) {
      app("orders/id", abbreviate(id), req("GET", "/api/orders/" + id, token, null));
    }
    for (String id :
        List.of("abc", "-1", "0", BIG_64, "9223372036854775808", "%00", "%ff", "1.5", "1e3")) {
      app("products/id", id, req("GET", "/api/products/" + id, null, null));
      app(
          "stats/id",
          id,
          req("GET", "/api/admin/products/" + id + "/stats", ctx.adminToken(), null));
    }
  }

  // --- methods and paths
  // -------------------------------------------------------------------------------------------

  private void methodsAndPaths() {
    String token = ctx.tokenUser().token();
    for (String route :
        List.of(
            "DELETE /api/products",
            "PUT /api/products/" + ctx.productId(),
            "PATCH /api/auth/login",
            "GET /api/auth/login",
            "DELETE /api/admin/products",
            "GET /api/admin/loadtest/users",
            "PUT /api/orders",
            "POST /health",
            "DELETE /ready",
            "FOO /api/products",
            "GET /api/products/" + ctx.productId() + "/purchase",
            "PUT /api/products/" + ctx.productId() + "/purchase",
            "DELETE /api/users/me")) {
      String[] mr = route.split(" ");
      app("method", route.replaceAll("/\\d+", "/{id}"), req(mr[0], mr[1], token, null));
    }
    for (String path :
        List.of(
            "/api/nope",
            "/api",
            "/api/products/1/nope",
            "/nope",
            "/api/admin",
            "/api/admin/products/1/stats/x",
            "/%00",
            "/api/%ff",
            "/.env",
            "/api/products/" + ctx.productId() + "/purchase/x")) {
      app("path", path.replaceAll("/\\d+", "/{id}"), req("GET", path, token, null));
    }
  }

  // --- the HTTP layer itself
  // ---------------------------------------------------------------------------------------

  private void protocol() {
    String token = ctx.tokenUser().token();
    codec(
        "header 20 KiB",
        raw(
            "GET /api/products HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
                + "a".repeat(20 * 1024)
                + "\r\nConnection: close\r\n\r\n"),
        false);
    codec(
        "500 headers",
        raw(
            "GET /api/products HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "X-H: 0123456789012345678901234567890123456789\r\n".repeat(500)
                + "Connection: close\r\n\r\n"),
        false);
    codec(
        "URI 10 KiB",
        raw(
            "GET /api/products/"
                + "a".repeat(10 * 1024)
                + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
        false);
    codec(
        "query 10 KiB",
        raw(
            "GET /api/products?x="
                + "a".repeat(10 * 1024)
                + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
        false);
    String login = "{\"email\":\"a@b.cd\",\"password\":\"password1\",\"clientId\":\"c\"}";
    for (String length : List.of("abc", "-1", BIG_64, "1 2", "0x10", "+5")) {
      codec(
          "Content-Length " + length,
          raw(
              "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  + "Content-Length: "
                  + length
                  + "\r\nConnection: close\r\n\r\n"
                  + login),
          true);
    }
    codec(
        "two different Content-Length",
        raw(
            "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: 5\r\nContent-Length: "
                + login.length()
                + "\r\nConnection: close\r\n\r\n"
                + login),
        true);
    codec(
        "Content-Length beyond the body",
        raw(
            "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: 1000\r\nConnection: close\r\n\r\n"
                + login),
        true);
    codec(
        "Content-Length and chunked",
        raw(
            "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
        true);
    codec(
        "bad chunk size",
        raw(
            "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
        true);
    codec(
        "chunk size beyond 64 bits",
        raw(
            "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nffffffffffffffffffff\r\nabc\r\n0\r\n\r\n"),
        true);
    codec(
        "Transfer-Encoding gzip",
        raw(
            "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: gzip\r\nConnection: close\r\n\r\n"
                + login),
        true);
    for (String version :
        List.of("HTTP/9.9", "HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "HTTX/1.1", "HTTP/1.1.1")) {
      codec(
          "request line " + version,
          raw("GET /api/products " + version + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
          true);
    }
    codec("request line without version", raw("GET /api/products\r\n\r\n"), true);
    codec("garbage request line", raw("GARBAGE\r\n\r\n"), true);
    codec("binary junk", bytes(hex("00 01 02 03 ff fe 16 03 01 00 a5 01 00"), "\r\n\r\n"), true);
    codec("TLS hello on plain HTTP", hex("16 03 01 00 a5 01 00 00 a1 03 03"), true);
    codec(
        "three spaces in request line",
        raw("GET  /api/products  HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
        true);
    codec(
        "header without colon",
        raw(
            "GET /api/products HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\nConnection: close\r\n\r\n"),
        true);
    codec(
        "space before colon",
        raw(
            "GET /api/products HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad : 1\r\nConnection: close\r\n\r\n"),
        true);
    codec(
        "obs-fold header",
        raw(
            "GET /api/products HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Fold: a\r\n b\r\nConnection: close\r\n\r\n"),
        true);
    codec(
        "NUL in a header value",
        bytes(
            "GET /api/users/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ",
            token,
            hex("00"),
            "\r\nConnection: close\r\n\r\n"),
        true);
    codec(
        "NUL in the Idempotency-Key",
        bytes(
            "POST /api/products/"
                + ctx.productId()
                + "/purchase HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer "
                + ctx.purchaser().get().token()
                + "\r\nIdempotency-Key: a",
            hex("00"),
            "b\r\nConnection: close\r\n\r\n"),
        true);
    codec(
        "NUL in the path",
        bytes(
            "GET /api/products/",
            hex("00"),
            " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
        true);
    codec(
        "invalid UTF-8 in the path",
        bytes(
            "GET /api/products/",
            hex("ff fe"),
            " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
        true);
    codec(
        "invalid UTF-8 in a header",
        bytes(
            "GET /api/users/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ",
            hex("ff fe"),
            "\r\nConnection: close\r\n\r\n"),
        true);
    codec(
        "no Host on HTTP/1.1",
        raw("GET /api/products HTTP/1.1\r\nConnection: close\r\n\r\n"),
        true);
    codec(
        "absolute URI of another host",
        raw(
            "GET http://example.invalid/api/nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
        true);
    codec("request line with CR only", raw("GET /api/nope HTTP/1.1\rHost: 127.0.0.1\r\r"), true);
  }

  // --- building requests
  // -------------------------------------------------------------------------------------------

  private void app(String category, String name, byte[] request) {
    cases.add(new Case(category, name, false, false, request));
  }

  private void codec(String name, byte[] request, boolean halfClose) {
    cases.add(new Case("protocol", name, true, halfClose, request));
  }

  private static byte[] req(String method, String target, String token, byte[] body) {
    List<String> headers = new ArrayList<>();
    if (token != null) {
      headers.add(bearer(token));
    }
    return reqHeaders(method, target, headers, body);
  }

  private static byte[] reqHeaders(
      String method, String target, List<String> headers, byte[] body) {
    StringBuilder head =
        new StringBuilder(method)
            .append(' ')
            .append(target)
            .append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (String h : headers) {
      head.append(h).append("\r\n");
    }
    if (body != null) {
      head.append("Content-Type: application/json\r\nContent-Length: ")
          .append(body.length)
          .append("\r\n");
    } else if (!method.equals("GET")) {
      head.append("Content-Length: 0\r\n");
    }
    head.append("Connection: close\r\n\r\n");
    return body == null ? utf8(head.toString()) : bytes(head.toString(), body);
  }

  private static String bearer(String token) {
    return "Authorization: Bearer " + token;
  }

  /**
   * A product creation body with {@code field} set to the raw JSON {@code value} (null: left out).
   */
  private static byte[] product(String field, String value) {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("name", json("bad-input"));
    body.put("price", "100");
    body.put("stock", "5");
    body.put("grade", json("COMMON"));
    if (value == null) {
      body.remove(field);
    } else {
      body.put(field, value);
    }
    return utf8(object(body));
  }

  /** A product creation body whose {@code field} is a string holding the raw bytes {@code hex}. */
  private static byte[] productRaw(String field, String hex) {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("name", json("bad-input"));
    body.put("price", "100");
    body.put("stock", "5");
    body.put("grade", json("COMMON"));
    body.put(field, "\u0001");
    String text = object(body);
    int at = text.indexOf('\u0001');
    return bytes(text.substring(0, at) + "\"x", hex(hex), "\"" + text.substring(at + 1));
  }

  private static String object(Map<String, String> fields) {
    StringBuilder sb = new StringBuilder("{");
    fields.forEach(
        (k, v) -> {
          if (sb.length() > 1) {
            sb.append(',');
          }
          sb.append('"').append(k).append("\":").append(v);
        });
    return sb.append('}').toString();
  }

  private static String json(String text) {
    return new io.vertx.core.json.JsonArray().add(text).encode().replaceAll("^\\[|]$", "");
  }

  /** A JSON {@code \}{@code uXXXX} escape, spelled out so the compiler does not read it. */
  private static String esc(String hex4) {
    return "\\" + "u" + hex4;
  }

  private static String withRaw(JsonObject claims, String field, String rawValue) {
    JsonObject copy = claims.copy();
    copy.remove(field);
    String encoded = copy.encode();
    return encoded.substring(0, encoded.length() - 1) + ",\"" + field + "\":" + rawValue + "}";
  }

  private static String without(JsonObject claims, String field) {
    JsonObject copy = claims.copy();
    copy.remove(field);
    return copy.encode();
  }

  private static String jwt(String header, String payload, String secret) {
    return jwtBytes(header, utf8(payload), secret);
  }

  private static String jwtBytes(String header, byte[] payload, String secret) {
    String signed =
        b64(header) + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload);
    if (secret == null) {
      return signed + ".";
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return signed
          + "."
          + Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String b64(String text) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(utf8(text));
  }

  private static String flip(String part) {
    char c = part.charAt(part.length() / 2);
    return part.substring(0, part.length() / 2)
        + (c == 'A' ? 'B' : 'A')
        + part.substring(part.length() / 2 + 1);
  }

  private static String abbreviate(String text) {
    return text.length() > 60 ? text.substring(0, 60) + "…" : text;
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] raw(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  static byte[] hex(String spaced) {
    String[] parts = spaced.trim().split(" ");
    byte[] out = new byte[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = (byte) Integer.parseInt(parts[i], 16);
    }
    return out;
  }

  static byte[] bytes(Object... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object part : parts) {
      out.writeBytes(part instanceof byte[] b ? b : utf8(part.toString()));
    }
    return out.toByteArray();
  }
}
