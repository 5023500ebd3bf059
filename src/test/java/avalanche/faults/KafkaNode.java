package avalanche.faults;

import avalanche.infra.embedded.EmbeddedKafka;
import avalanche.infra.embedded.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A single-node KRaft Kafka 4.1 broker as a child JVM ({@code avalanche.infra.embedded.KafkaChild}
 * from the packaged jar, with the properties of {@code EmbeddedKafka}). A restart reuses the ports,
 * the log folder, the node id and the cluster id, so it comes back with every topic, record and
 * committed offset. KafkaChild halts when this JVM dies, so no broker outlives the suite.
 */
final class KafkaNode {
  private final Sandbox sandbox;
  private final Path jar;
  private final Path properties;
  private final String clusterId = Uuid.randomUuid().toString();
  final int port;
  private Process process;

  KafkaNode(Sandbox sandbox, Path jar) {
    this.sandbox = sandbox;
    this.jar = jar;
    Path dir = sandbox.subdir("kafka");
    this.port = FreePorts.pick();
    int controllerPort = FreePorts.pick();
    this.properties = dir.resolve("server.properties");
    try {
      Files.writeString(
          properties, EmbeddedKafka.serverProperties(port, controllerPort, dir.resolve("logs")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String bootstrap() {
    return "127.0.0.1:" + port;
  }

  synchronized void start() {
    process =
        sandbox.start(
            new ProcessBuilder(
                    List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xms128m",
                        "-Xmx768m",
                        "-XX:+UseG1GC",
                        "-Dlogback.configurationFile=logback-kafka.xml",
                        "-Dfaults.dir=" + sandbox.dir,
                        "-cp",
                        jar.toString(),
                        "avalanche.infra.embedded.KafkaChild",
                        Long.toString(ProcessHandle.current().pid()),
                        properties.toString(),
                        clusterId))
                .redirectErrorStream(true)
                .redirectOutput(
                    ProcessBuilder.Redirect.appendTo(sandbox.logs.resolve("kafka.log").toFile())));
    awaitReady();
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Kafka exited; see " + sandbox.logs.resolve("kafka.log"));
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        break;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("Kafka not listening after 120 s");
        }
        Sandbox.sleep(100);
      }
    }
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "2000"))) {
      while (true) {
        try {
          if (!admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (Exception notYet) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("Kafka not ready after 120 s");
          }
        }
        if (!process.isAlive()) {
          throw new IllegalStateException("Kafka exited; see " + sandbox.logs.resolve("kafka.log"));
        }
        Sandbox.sleep(100);
      }
    }
  }

  synchronized void kill9() {
    process.destroyForcibly();
    try {
      process.waitFor(15, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  synchronized boolean alive() {
    return process != null && process.isAlive();
  }
}
