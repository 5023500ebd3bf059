package avalanche.infra;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.LogCapture;
import avalanche.TestServer;
import ch.qos.logback.classic.Level;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Requests the HTTP decoder refuses before any route sees them, written byte by byte on a socket:
 * they still answer the contract's error JSON, and they are not logged above INFO.
 */
class CodecErrorsTest {
  @RegisterExtension
  static final TestServer server =
      TestServer.extension(new JsonObject().put("http", new JsonObject().put("instances", 1)));

  private static RawHttp.Answer send(String request) throws IOException {
    return RawHttp.exchange(server.app().httpPort(), request);
  }

  @Test
  void aRequestLineOverTheLimitIs414() throws IOException {
    assertError(
        send("GET /api/products/" + "1".repeat(10_000) + " HTTP/1.1\r\nHost: a\r\n\r\n"),
        414,
        "URI_TOO_LONG");
  }

  @Test
  void headersOverTheLimitAre431() throws IOException {
    assertError(
        send("GET /health HTTP/1.1\r\nHost: a\r\nX-Big: " + "b".repeat(10_000) + "\r\n\r\n"),
        431,
        "HEADERS_TOO_LARGE");
  }

  @Test
  void contentLengthsThatAreNotOneNumberAre400() throws IOException {
    String login = "POST /api/auth/login HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n";
    assertError(send(login + "Content-Length: abc\r\n\r\n{}"), 400, "VALIDATION_FAILED");
    assertError(send(login + "Content-Length: -2\r\n\r\n{}"), 400, "VALIDATION_FAILED");
    assertError(
        send(login + "Content-Length: 99999999999999999999999\r\n\r\n{}"),
        400,
        "VALIDATION_FAILED");
    assertError(
        send(login + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"), 400, "VALIDATION_FAILED");
  }

  @Test
  void requestLinesThatAreNotHttpAre400() throws IOException {
    assertError(send("HELLO\r\n\r\n"), 400, "VALIDATION_FAILED");
    assertError(send("GET /health HTTP/1.1 extra\r\nHost: a\r\n\r\n"), 400, "VALIDATION_FAILED");
  }

  @Test
  void http11WithoutAHostIs400() throws IOException {
    RawHttp.Answer answer =
        send(
            "POST /api/auth/login HTTP/1.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: 2\r\n\r\n{}");
    assertError(answer, 400, "VALIDATION_FAILED");
    assertThat(answer.json().getString("message")).contains("Host");
  }

  @Test
  void controlCharactersInHeadersAre400() throws IOException {
    assertError(
        send("GET /api/orders HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a\0b\r\n\r\n"),
        400,
        "VALIDATION_FAILED");
    assertError(
        send("GET /health HTTP/1.1\r\nHost: a\r\nX-Test: a\0b\r\n\r\n"), 400, "VALIDATION_FAILED");
  }

  /**
   * Netty fails the connection on a malformed chunk and Vert.x closes it at once, before any answer
   * is flushed: the client sees the connection close. If an answer does get out, it is the
   * contract's 400.
   */
  @Test
  void aMalformedChunkClosesTheConnectionOrIs400() throws IOException {
    RawHttp.Answer answer =
        send(
            "POST /api/auth/login HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
    if (answer.status() != 0) {
      assertError(answer, 400, "VALIDATION_FAILED");
    }
  }

  /**
   * Vert.x answers a version other than 1.0 and 1.1 itself (501, empty body) unless a WebSocket
   * handler is set; the ingress sets one (refusing every handshake), so such a request reaches it
   * and gets the contract's 400.
   */
  @Test
  void anUnknownHttpVersionIsAValidationFailure() throws IOException {
    for (String version : new String[] {"HTTP/9.9", "HTTP/1.2", "HTTP/2.0", "HTTP/0.9"}) {
      RawHttp.Answer answer = send("GET /health " + version + "\r\nHost: a\r\n\r\n");
      assertError(answer, 400, "VALIDATION_FAILED");
    }
  }

  @Test
  void aWebSocketHandshakeIsRefused() throws IOException {
    RawHttp.Answer answer =
        send(
            "GET /health HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    assertThat(answer.status()).as(answer.toString()).isEqualTo(404);
  }

  @Test
  void noneOfThemIsLoggedAboveInfo() throws IOException {
    try (LogCapture logs = LogCapture.start()) {
      send("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\n\r\n");
      send("GET /health HTTP/1.1\r\nX-Big: " + "b".repeat(10_000) + "\r\n\r\n");
      send("POST /api/auth/login HTTP/1.1\r\nContent-Length: abc\r\n\r\n");
      send("HELLO\r\n\r\n");
      send("GET /health HTTP/9.9\r\n\r\n");
      send(
          "POST /api/auth/login HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
      assertThat(logs.above(Level.INFO)).isEmpty();
    }
  }

  static void assertError(RawHttp.Answer answer, int status, String code) {
    assertThat(answer.status()).as(answer.toString()).isEqualTo(status);
    assertThat(answer.header("Content-Type")).as(answer.toString()).isEqualTo("application/json");
    JsonObject json = answer.json();
    assertThat(json.getString("error")).as(answer.toString()).isEqualTo(code);
    assertThat(json.getValue("message")).as(answer.toString()).isInstanceOf(String.class);
    assertThat(json.fieldNames()).containsExactlyInAnyOrder("error", "message");
  }
}
