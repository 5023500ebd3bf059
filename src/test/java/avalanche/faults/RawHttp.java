package avalanche.faults;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * HTTP/1.1 over a plain socket, byte for byte as given: the bad-input corpus needs requests no
 * client library would send (bad request lines, invalid UTF-8, conflicting lengths, NUL bytes). One
 * connection per request.
 */
final class RawHttp {
  /** What came back: status 0 when nothing parseable did ({@code error} says why). */
  record Answer(int status, String contentType, String body, long latencyMs, String error) {}

  private RawHttp() {}

  /**
   * {@code halfClose}: shut our side down after writing, so a server waiting for more body sees the
   * end.
   */
  static Answer send(int port, byte[] request, boolean halfClose, int timeoutMs) {
    long start = System.nanoTime();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      socket.setSoTimeout(timeoutMs);
      try {
        socket.getOutputStream().write(request);
        socket.getOutputStream().flush();
        if (halfClose) {
          socket.shutdownOutput();
        }
      } catch (IOException writeFailed) {
        // the server may answer and close before it read everything (e.g. 431): read what it said
      }
      byte[] raw = readAll(socket.getInputStream(), timeoutMs);
      long latency = (System.nanoTime() - start) / 1_000_000;
      return parse(raw, latency);
    } catch (IOException e) {
      return new Answer(0, null, "", (System.nanoTime() - start) / 1_000_000, e.toString());
    }
  }

  private static byte[] readAll(InputStream in, int timeoutMs) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    try {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
        if (System.nanoTime() > deadline || out.size() > 4 * 1024 * 1024) {
          break;
        }
      }
    } catch (SocketTimeoutException timeout) {
      if (out.size() == 0) {
        throw timeout;
      }
    } catch (IOException reset) {
      if (out.size() == 0) {
        throw reset;
      }
    }
    return out.toByteArray();
  }

  static Answer parse(byte[] raw, long latency) {
    String text = new String(raw, StandardCharsets.ISO_8859_1);
    int headEnd = text.indexOf("\r\n\r\n");
    if (!text.startsWith("HTTP/") || headEnd < 0) {
      return new Answer(
          0,
          null,
          text,
          latency,
          raw.length == 0 ? "closed without an answer" : "not an HTTP answer");
    }
    String[] head = text.substring(0, headEnd).split("\r\n");
    String[] statusLine = head[0].split(" ", 3);
    int status;
    try {
      status = Integer.parseInt(statusLine[1]);
    } catch (RuntimeException e) {
      return new Answer(0, null, text, latency, "bad status line " + head[0]);
    }
    String contentType = null;
    boolean chunked = false;
    for (int i = 1; i < head.length; i++) {
      String line = head[i].toLowerCase(Locale.ROOT);
      if (line.startsWith("content-type:")) {
        contentType = head[i].substring(13).trim();
      } else if (line.startsWith("transfer-encoding:") && line.contains("chunked")) {
        chunked = true;
      }
    }
    byte[] body = java.util.Arrays.copyOfRange(raw, headEnd + 4, raw.length);
    if (chunked) {
      body = dechunk(body);
    }
    return new Answer(status, contentType, new String(body, StandardCharsets.UTF_8), latency, null);
  }

  private static byte[] dechunk(byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = 0;
    while (at < body.length) {
      int lineEnd = indexOf(body, at);
      if (lineEnd < 0) {
        break;
      }
      String sizeText =
          new String(body, at, lineEnd - at, StandardCharsets.ISO_8859_1).split(";")[0].trim();
      int size;
      try {
        size = Integer.parseInt(sizeText, 16);
      } catch (NumberFormatException e) {
        break;
      }
      if (size == 0) {
        break;
      }
      int from = lineEnd + 2;
      int to = Math.min(body.length, from + size);
      out.write(body, from, to - from);
      at = to + 2;
    }
    return out.toByteArray();
  }

  private static int indexOf(byte[] bytes, int from) {
    for (int i = from; i + 1 < bytes.length; i++) {
      if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
        return i;
      }
    }
    return -1;
  }
}
