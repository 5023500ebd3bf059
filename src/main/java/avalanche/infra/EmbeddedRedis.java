package avalanche.infra;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** A real redis-server 6.2 process from the embedded-redis artifact, bound to loopback. */
public final class EmbeddedRedis implements EmbeddedServer {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRedis.class);
  /** The port is picked free, then bound by another process: someone may take it in between, so try again. */
  private static final int ATTEMPTS = 3;

  private final RedisServer server;
  private final int port;

  private EmbeddedRedis(RedisServer server, int port) {
    this.server = server;
    this.port = port;
  }

  public static EmbeddedRedis start(Path dir) {
    IOException last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      int port = FreePorts.pick();
      try {
        RedisServer server = RedisServer.newRedisServer()
            .bind("127.0.0.1")
            .port(port)
            .setting("dir " + dir.toAbsolutePath())
            .setting("save \"\"")
            .setting("appendonly no")
            .setting("maxmemory-policy noeviction")
            // App.close stops it after the verticles; the library's own hook would kill it while they still run.
            .onShutdownForceStop(false)
            .soutListener(line -> { })
            .serrListener(line -> { })
            .build();
        server.start();
        return new EmbeddedRedis(server, port);
      } catch (IOException e) {
        last = e;
        if (attempt < ATTEMPTS) {
          LOG.warn("embedded Redis did not start on port {} ({}); trying another port", port, oneLine(e));
        }
      }
    }
    throw new UncheckedIOException("embedded Redis did not start: " + oneLine(last), last);
  }

  /** The failure and its cause on one line: embedded-redis puts redis-server's own output in the cause. */
  private static String oneLine(IOException e) {
    String text = e.getMessage() + (e.getCause() != null ? ": " + e.getCause().getMessage() : "");
    return text.replaceAll("\\s+", " ").trim();
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  public String describe() {
    return "redis " + url();
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
