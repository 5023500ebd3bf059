package avalanche.infra.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node KRaft Kafka broker, run as a child JVM from the kafka_2.13 artifact on our
 * classpath.
 */
public final class EmbeddedKafka implements EmbeddedServer {
  private static final long START_TIMEOUT_MS = 90_000;

  private final Process process;
  private final int port;

  private EmbeddedKafka(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  public static EmbeddedKafka start(Path dir) {
    int port = FreePorts.pick();
    int controllerPort = FreePorts.pick();
    try {
      Path properties = dir.resolve("server.properties");
      Files.writeString(
          properties, serverProperties(port, controllerPort, dir.resolve("logs").toAbsolutePath()));
      List<String> command =
          new ArrayList<>(
              List.of(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Xms128m",
                  "-Xmx768m",
                  "-XX:+UseG1GC",
                  "-Dlogback.configurationFile=logback-kafka.xml",
                  "-cp",
                  System.getProperty("java.class.path"),
                  KafkaChild.class.getName(),
                  Long.toString(ProcessHandle.current().pid()),
                  properties.toAbsolutePath().toString(),
                  Uuid.randomUuid().toString()));
      Process process =
          new ProcessBuilder(OwnSession.command(command))
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("kafka.log").toFile())
              .start();
      EmbeddedKafka kafka = new EmbeddedKafka(process, port);
      kafka.awaitReady(dir);
      return kafka;
    } catch (IOException e) {
      throw new UncheckedIOException("embedded Kafka did not start", e);
    }
  }

  /**
   * A single-node KRaft broker and controller on loopback, sized for a laptop or a 2-core box. The
   * fault suite starts brokers of its own with the same settings.
   */
  public static String serverProperties(int port, int controllerPort, Path logDir) {
    return String.join(
        "\n",
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        "log.dirs=" + logDir,
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=8",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "num.partitions=8",
        // Sized for a laptop or a 2-core box, not for a cluster node: fewer threads, less
        // switching.
        "num.network.threads=2",
        "num.io.threads=2",
        "background.threads=2",
        "log.flush.interval.messages=9223372036854775807",
        "");
  }

  private void awaitReady(Path dir) {
    long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
    awaitListening(dir, deadline);
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "2000"))) {
      while (true) {
        if (!process.isAlive()) {
          throw new IllegalStateException("embedded Kafka exited; see " + dir.resolve("kafka.log"));
        }
        try {
          if (!admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (Exception notYet) {
          if (System.currentTimeMillis() > deadline) {
            close();
            throw new IllegalStateException(
                "embedded Kafka not ready after " + START_TIMEOUT_MS + " ms");
          }
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    }
  }

  /**
   * Waits for the broker port before asking it anything, so the admin client does not log refusals.
   */
  private void awaitListening(Path dir, long deadline) {
    while (System.currentTimeMillis() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("embedded Kafka exited; see " + dir.resolve("kafka.log"));
      }
      try (java.net.Socket socket = new java.net.Socket()) {
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    }
  }

  public String bootstrap() {
    return "127.0.0.1:" + port;
  }

  @Override
  public String describe() {
    return "kafka " + bootstrap();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
