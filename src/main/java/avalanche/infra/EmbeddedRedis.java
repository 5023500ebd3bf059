package avalanche.infra;

import redis.embedded.RedisServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** A real redis-server 6.2 process from the embedded-redis artifact, bound to loopback. */
public final class EmbeddedRedis implements EmbeddedServer {
  private final RedisServer server;
  private final int port;

  private EmbeddedRedis(RedisServer server, int port) {
    this.server = server;
    this.port = port;
  }

  public static EmbeddedRedis start(Path dir) {
    int port = FreePorts.pick();
    try {
      RedisServer server = RedisServer.newRedisServer()
          .bind("127.0.0.1")
          .port(port)
          .setting("dir " + dir.toAbsolutePath())
          .setting("save \"\"")
          .setting("appendonly no")
          .setting("maxmemory-policy noeviction")
          .onShutdownForceStop(true)
          .soutListener(line -> { })
          .serrListener(line -> { })
          .build();
      server.start();
      return new EmbeddedRedis(server, port);
    } catch (IOException e) {
      throw new UncheckedIOException("embedded Redis did not start", e);
    }
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
