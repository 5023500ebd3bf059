package avalanche.infra;

import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 by hand over a plain socket, for requests no HTTP client would send (a request line of
 * 10 KB, a {@code Content-Length} of "abc", HTTP/9.9). Blocking: call it from the test thread,
 * never an event loop.
 */
final class RawHttp {
  private RawHttp() {}

  /**
   * What came back: the status line's code (0 when the server closed without answering), headers,
   * body.
   */
  record Answer(int status, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    JsonObject json() {
      return new JsonObject(bodyText());
    }

    @Override
    public String toString() {
      return status + " " + headers + " " + bodyText();
    }
  }

  static Answer exchange(int port, String request) throws IOException {
    return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1));
  }

  /**
   * Writes {@code request} as is and reads one answer (its {@code Content-Length}, or up to the
   * close).
   */
  static Answer exchange(int port, byte[] request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      // The output is not shut down: the server could take the half-close for the end of the
      // connection.
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      return read(new BufferedInputStream(socket.getInputStream()));
    }
  }

  private static Answer read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < end.length) {
      int b = readByte(in);
      if (b < 0) {
        return new Answer(0, Map.of(), head.toByteArray());
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : b == end[0] ? 1 : 0;
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(
          lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
          lines[i].substring(colon + 1).trim());
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    String length = headers.get("content-length");
    long remaining = length == null ? Long.MAX_VALUE : Long.parseLong(length);
    while (remaining > 0) {
      int b = readByte(in);
      if (b < 0) {
        break;
      }
      body.write(b);
      remaining--;
    }
    return new Answer(status, headers, body.toByteArray());
  }

  /** The next byte, or -1 at the end of the stream or when the server reset the connection. */
  private static int readByte(InputStream in) throws IOException {
    try {
      return in.read();
    } catch (SocketException reset) {
      return -1;
    }
  }
}
