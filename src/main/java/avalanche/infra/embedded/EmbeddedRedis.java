package avalanche.infra.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.core.ExecutableProvider;

/**
 * A real redis-server 6.2 process, the binary taken from the embedded-redis artifact, bound to
 * loopback. We run the process ourselves: the library's RedisServer registers a JVM shutdown hook
 * that kills Redis while the verticles still drain; here only {@link #close()} (called by
 * App.close, last) stops it.
 */
public final class EmbeddedRedis implements EmbeddedServer {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRedis.class);

  /**
   * The port is picked free, then bound by another process: someone may take it in between, so try
   * again.
   */
  private static final int ATTEMPTS = 3;

  private static final long START_TIMEOUT_MS = 10_000;

  private final Process process;
  private final int port;

  private EmbeddedRedis(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  public static EmbeddedRedis start(Path dir) {
    try {
      String binary =
          ExecutableProvider.newJarResourceProvider(
                  Files.createDirectories(dir.resolve("bin")).toFile())
              .get()
              .getAbsolutePath();
      for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
        int port = FreePorts.pick();
        Process process =
            new ProcessBuilder(
                    OwnSession.command(
                        List.of(
                            binary,
                            "--bind",
                            "127.0.0.1",
                            "--port",
                            Integer.toString(port),
                            "--dir",
                            dir.toAbsolutePath().toString(),
                            "--save",
                            "",
                            "--appendonly",
                            "no",
                            "--maxmemory-policy",
                            "noeviction")))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        if (listening(process, port)) {
          return new EmbeddedRedis(process, port);
        }
        process.destroyForcibly();
        LOG.warn(
            "embedded Redis did not start on port {}; trying another port (see {})",
            port,
            dir.resolve("redis.log"));
      }
      throw new IllegalStateException(
          "embedded Redis did not start; see " + dir.resolve("redis.log"));
    } catch (IOException e) {
      throw new UncheckedIOException("embedded Redis did not start", e);
    }
  }

  private static boolean listening(Process process, int port) {
    long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
    while (System.currentTimeMillis() < deadline && process.isAlive()) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return true;
      } catch (IOException notYet) {
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return false;
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
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
