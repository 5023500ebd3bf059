package avalanche.faults;

import avalanche.infra.embedded.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.embedded.core.ExecutableProvider;

/**
 * redis-server 6.2 (the embedded-redis artifact's binary) as a separate process with the
 * append-only file on ({@code appendfsync always}, as docker-compose.yml runs it), so a kill -9 and
 * a restart on the same port and folder reload every write it acknowledged. With {@code everysec}
 * Redis may answer a write whose AOF write it postponed behind a slow fsync (up to 2 s), and a kill
 * -9 then loses it: seen here on a loaded box.
 */
final class RedisNode {
  private final Sandbox sandbox;
  private final Path dir;
  private final String binary;
  final int port;
  private Process process;
  private int starts;

  RedisNode(Sandbox sandbox) {
    this.sandbox = sandbox;
    this.dir = sandbox.subdir("redis");
    try {
      this.binary =
          ExecutableProvider.newJarResourceProvider(sandbox.subdir("redis-bin").toFile())
              .get()
              .getAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.port = FreePorts.pick();
  }

  String url() {
    return "redis://127.0.0.1:" + port;
  }

  synchronized void start() {
    starts++;
    process =
        sandbox.start(
            new ProcessBuilder(
                    List.of(
                        binary,
                        "--bind",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--dir",
                        dir.toString(),
                        "--appendonly",
                        "yes",
                        "--appendfsync",
                        "always",
                        "--save",
                        "",
                        "--maxmemory-policy",
                        "noeviction",
                        "--daemonize",
                        "no"))
                .redirectErrorStream(true)
                .redirectOutput(
                    ProcessBuilder.Redirect.appendTo(sandbox.logs.resolve("redis.log").toFile())));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String last = "";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "redis-server exited at start "
                + starts
                + "; see "
                + sandbox.logs.resolve("redis.log"));
      }
      try {
        if ("PONG".equals(Resp.call(port, "PING"))) {
          return;
        }
      } catch (RuntimeException notYet) {
        last = notYet.getMessage(); // refused, or -LOADING while the AOF is read back
      }
      Sandbox.sleep(50);
    }
    throw new IllegalStateException("redis-server not answering PING after 60 s: " + last);
  }

  /** SIGKILL, as the OOM killer or a crashed host would do it. */
  synchronized void kill9() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  synchronized boolean alive() {
    return process != null && process.isAlive();
  }

  void flushAll() {
    Object reply = Resp.call(port, "FLUSHALL");
    if (!"OK".equals(reply)) {
      throw new IllegalStateException("FLUSHALL: " + reply);
    }
  }
}
