package avalanche.load;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged server ({@code java -jar target/avalanche.jar}) with its embedded Redis, PostgreSQL, Kafka and
 * SMTP sink, on a free loopback port, for runs that are given no {@code baseUrl}. It is stopped with SIGTERM
 * (so it removes its embedded servers) by {@link #stop()}, and by a shutdown hook should the run end early.
 */
final class LocalServer {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(Settings.integer("serverStartSeconds", 240));

  private final Path jar;
  private final Path log;
  private final int port;
  private final String adminEmail = "admin@avalanche.local";
  private final String adminPassword = randomPassword();
  private Process process;

  LocalServer(Path jar, Path log) {
    this.jar = jar;
    this.log = log;
    this.port = freeLoopbackPort();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  String adminEmail() {
    return adminEmail;
  }

  String adminPassword() {
    return adminPassword;
  }

  synchronized void start() {
    if (process != null) {
      return;
    }
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no server jar at " + jar.toAbsolutePath()
          + ": build it first (mvn -q -B package -Dmaven.test.skip=true at the repository root) or pass -DbaseUrl=...");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String arg : Settings.text("serverJvmArgs", "-Xmx1g").split("\\s+")) {
      if (!arg.isBlank()) {
        command.add(arg);
      }
    }
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("AVALANCHE_HTTP_PORT", Integer.toString(port));
    builder.environment().put("AVALANCHE_HTTP_HOST", "127.0.0.1");
    builder.environment().put("AVALANCHE_ADMIN_EMAIL", adminEmail);
    builder.environment().put("AVALANCHE_ADMIN_PASSWORD", adminPassword);
    builder.environment().put("AVALANCHE_LOADTEST", "true");
    try {
      Files.createDirectories(log.toAbsolutePath().getParent());
      process = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("could not start " + command, e);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "avalanche-local-server-stop"));
    System.out.printf("local server: starting %s on %s (log: %s)%n", jar, baseUrl(), log);
    awaitReady();
  }

  private void awaitReady() {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the server exited with " + process.exitValue() + " while starting:\n" + logTail());
      }
      try {
        HttpResponse<String> ready = client.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/ready"))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (ready.statusCode() == 200) {
          System.out.println("local server: ready");
          return;
        }
      } catch (IOException e) {
        // Not listening yet.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the server", e);
      }
      sleep(500);
    }
    stop();
    throw new IllegalStateException("the server was not ready within " + READY_TIMEOUT.toSeconds() + " s:\n" + logTail());
  }

  /** SIGTERM, then up to a minute for a clean stop (embedded servers removed), then SIGKILL. */
  synchronized void stop() {
    if (process == null || !process.isAlive()) {
      return;
    }
    System.out.println("local server: stopping (SIGTERM)");
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        System.out.println("local server: no clean stop within 60 s, killing it");
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free loopback port", e);
    }
  }

  private static String randomPassword() {
    byte[] bytes = new byte[18];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
