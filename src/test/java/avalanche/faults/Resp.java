package avalanche.faults;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A minimal blocking RESP2 client for the audit (one connection per call, short timeouts). */
final class Resp {
  /** An error reply ({@code -ERR ...}). */
  static final class RespError extends RuntimeException {
    RespError(String message) {
      super(message);
    }
  }

  private Resp() {}

  static Object call(int port, String... args) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      ByteArrayOutputStream request = new ByteArrayOutputStream();
      request.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      for (String arg : args) {
        byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
        request.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        request.writeBytes(bytes);
        request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.write(request.toByteArray());
      out.flush();
      return read(new BufferedInputStream(socket.getInputStream()));
    } catch (IOException e) {
      throw new UncheckedIOException("redis " + port + " " + args[0] + ": " + e.getMessage(), e);
    }
  }

  static Map<String, String> hgetall(int port, String key) {
    Object reply = call(port, "HGETALL", key);
    Map<String, String> map = new HashMap<>();
    if (reply instanceof List<?> list) {
      for (int i = 0; i + 1 < list.size(); i += 2) {
        map.put(String.valueOf(list.get(i)), String.valueOf(list.get(i + 1)));
      }
    }
    return map;
  }

  private static Object read(InputStream in) throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new EOFException("connection closed");
    }
    String line = line(in);
    switch (type) {
      case '+':
        return line;
      case '-':
        throw new RespError(line);
      case ':':
        return Long.parseLong(line);
      case '$':
        {
          int length = Integer.parseInt(line);
          if (length < 0) {
            return null;
          }
          byte[] bytes = in.readNBytes(length);
          in.readNBytes(2);
          return new String(bytes, StandardCharsets.UTF_8);
        }
      case '*':
        {
          int count = Integer.parseInt(line);
          if (count < 0) {
            return null;
          }
          List<Object> items = new ArrayList<>(count);
          for (int i = 0; i < count; i++) {
            items.add(read(in));
          }
          return items;
        }
      default:
        throw new IOException("unexpected RESP type " + (char) type);
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\r') {
        in.read();
        break;
      }
      sb.append((char) c);
    }
    return sb.toString();
  }
}
