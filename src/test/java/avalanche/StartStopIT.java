package avalanche;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import avalanche.infra.embedded.FreePorts;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The packaged jar as a user runs it: {@code java -jar target/avalanche.jar} with only the HTTP
 * port set, so all four servers run embedded. Run by failsafe after {@code package}. The process is
 * driven from the test thread (it blocks on the child process); HTTP goes through a Vert.x
 * WebClient.
 */
@ExtendWith(VertxExtension.class)
class StartStopIT {
  private static final Path JAR = Path.of("target", "avalanche.jar");
  private static final long START_TIMEOUT_S = 240;
  private static final long STOP_TIMEOUT_S = 60;
  private static final Pattern RUN_DIR =
      Pattern.compile("(" + Pattern.quote(tmpDir()) + "/avalanche-\\d+)");

  private Process process;
  private Path workDir;
  private Path runDir;

  @AfterEach
  void cleanUp() throws IOException {
    // Only if an assertion failed before the stop: never leave the child running.
    if (process != null && process.isAlive()) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
    if (runDir != null && Files.exists(runDir)) {
      ProcessHandle.allProcesses()
          .filter(p -> commandLine(p).contains(runDir.toString()))
          .forEach(ProcessHandle::destroyForcibly);
      try (var files = Files.walk(runDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
    if (workDir != null) {
      try (var files = Files.walk(workDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }

  @Test
  void startsEmbeddedServesADropAndStopsLeavingNothingBehind(Vertx vertx) throws Exception {
    int port = FreePorts.pick();
    Output out = start(Map.of("AVALANCHE_HTTP_PORT", Integer.toString(port)));

    String banner = out.await("Avalanche is up in", START_TIMEOUT_S);
    Matcher up = Pattern.compile("up in (\\d+) ms: (http://127\\.0\\.0\\.1:\\d+)").matcher(banner);
    assertThat(up.find()).as(banner).isTrue();
    assertThat(up.group(2)).isEqualTo("http://127.0.0.1:" + port);
    System.out.println("jar start-up (embedded): " + up.group(1) + " ms");
    Matcher admin = Pattern.compile("admin: (\\S+) / (\\S+)").matcher(out.await("admin:", 5));
    assertThat(admin.find()).isTrue();
    String embedded = out.await("embedded:", 5);
    assertThat(embedded).contains("redis", "postgresql", "kafka", "smtp");

    WebClient http =
        WebClient.create(
            vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
    HttpResponse<Buffer> ready = await(http.get("/ready").send());
    assertThat(ready.statusCode()).as(ready.bodyAsString()).isEqualTo(200);
    walkThrough(http, admin.group(1), admin.group(2));
    http.close();

    runDir = runDir(process.descendants().toList());
    List<ProcessHandle> started = startedIn(runDir);
    List<Path> redisBinaryDirs =
        started.stream()
            .map(StartStopIT::commandLine)
            .filter(c -> c.contains("redis-server"))
            .map(c -> Path.of(c.split(" ")[0]).getParent())
            .toList();
    assertThat(runDir).isDirectory();

    // SIGTERM, as an orchestrator sends it. Through the handle: Process.destroy() also closes our
    // end of the
    // child's stdout at once, and the shutdown lines would be lost.
    long stopping = System.nanoTime();
    assertThat(process.toHandle().destroy()).isTrue();
    assertThat(process.waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS))
        .as("exited within " + STOP_TIMEOUT_S + " s")
        .isTrue();
    System.out.println(
        "jar stop (SIGTERM to exit): " + (System.nanoTime() - stopping) / 1_000_000 + " ms");
    out.drained();
    assertThat(out.lines()).contains("avalanche: stopping");
    assertThat(out.lines()).contains("avalanche: stopped");
    assertThatThrownBy(
            () -> {
              try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
              }
            })
        .as("port closed")
        .isInstanceOf(ConnectException.class);
    for (ProcessHandle p : started) {
      assertThat(gone(p, 15)).as("still running: " + commandLine(p)).isTrue();
    }
    assertThat(runDir).doesNotExist();
    assertThat(workDir).as("nothing written where it was started").isEmptyDirectory();
    for (Path dir : redisBinaryDirs) {
      if (dir != null && dir.startsWith(tmpDir())) {
        assertThat(dir).as("extracted redis-server binary").doesNotExist();
      }
    }
    List<String> said = new ArrayList<>(out.lines());
    said.addAll(out.errors());
    assertThat(said)
        .as("a clean run logs no error")
        .noneMatch(line -> line.contains(" ERROR ") || line.contains("Exception"));
  }

  @Test
  void aKilledJarLeavesNoEmbeddedServerAndNoFolderBehind() throws Exception {
    Output out = start(Map.of("AVALANCHE_HTTP_PORT", Integer.toString(FreePorts.pick())));
    out.await("Avalanche is up in", START_TIMEOUT_S);
    runDir = runDir(process.descendants().toList());
    List<ProcessHandle> started = startedIn(runDir);

    // SIGKILL: no shutdown hook runs, so only the watchdog outside the JVM can clean up.
    assertThat(process.toHandle().destroyForcibly()).isTrue();
    assertThat(process.waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS)).isTrue();
    for (ProcessHandle p : started) {
      assertThat(gone(p, 30)).as("still running after the kill: " + commandLine(p)).isTrue();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (Files.exists(runDir) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(runDir).doesNotExist();
  }

  @Test
  void anInvalidVariableFailsFastWithOneLineNamingIt() throws Exception {
    failsWithOneLineNaming("AVALANCHE_HTTP_PORT", "abc");
  }

  @Test
  void invalidRolesOrClusterSettingsFailFastWithOneLineNamingThem() throws Exception {
    failsWithOneLineNaming("AVALANCHE_ROLES", "api,billing");
    failsWithOneLineNaming("AVALANCHE_ROLES", "saga,saga");
    failsWithOneLineNaming("AVALANCHE_REDIS_CLUSTER", "yes");
    failsWithOneLineNaming("AVALANCHE_REDIS_URL", "redis://a:1,http://b:2");
  }

  private void failsWithOneLineNaming(String variable, String value) throws Exception {
    Output out = start(Map.of(variable, value));
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isNotZero();
    out.drained();
    List<String> said = new ArrayList<>(out.lines());
    said.addAll(out.errors());
    said.removeIf(String::isBlank);
    assertThat(said).hasSize(1);
    assertThat(said.get(0)).contains(variable);
  }

  // --- the drop, as the README walks through it
  // ---------------------------------------------------------

  private static void walkThrough(WebClient http, String email, String password) {
    HttpResponse<Buffer> login =
        await(
            http.post("/api/auth/login")
                .sendJsonObject(
                    new JsonObject()
                        .put("email", email)
                        .put("password", password)
                        .put("clientId", "it")));
    assertThat(login.statusCode()).as(login.bodyAsString()).isEqualTo(200);
    String token = login.bodyAsJsonObject().getString("accessToken");

    HttpResponse<Buffer> created =
        await(
            http.post("/api/admin/products")
                .bearerTokenAuthentication(token)
                .sendJsonObject(
                    new JsonObject()
                        .put("name", "Sneaker")
                        .put("price", 100)
                        .put("stock", 3)
                        .put("grade", "COMMON")));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    String productId = created.bodyAsJsonObject().getString("productId");

    HttpResponse<Buffer> bought =
        await(
            http.post("/api/products/" + productId + "/purchase")
                .bearerTokenAuthentication(token)
                .send());
    assertThat(bought.statusCode()).as(bought.bodyAsString()).isEqualTo(202);
    String orderId = bought.bodyAsJsonObject().getString("orderId");
    assertThat(bought.getHeader("Location")).isEqualTo("/api/orders/" + orderId);

    HttpResponse<Buffer> order =
        await(http.get(bought.getHeader("Location")).bearerTokenAuthentication(token).send());
    assertThat(order.statusCode()).as(order.bodyAsString()).isEqualTo(200);
    assertThat(order.bodyAsJsonObject().getString("orderId")).isEqualTo(orderId);
    assertThat(order.bodyAsJsonObject().getString("productId")).isEqualTo(productId);
    assertThat(order.bodyAsJsonObject().getString("status"))
        .isIn("PENDING", "COMPLETED", "CANCELLED");
  }

  // --- the child process
  // --------------------------------------------------------------------------------

  private Output start(Map<String, String> variables) throws IOException {
    assertThat(JAR).as("run after mvn package").isRegularFile();
    ProcessBuilder builder =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-jar",
            JAR.toAbsolutePath().toString());
    // An empty working directory: the jar must bring its own defaults (conf/ inside the jar).
    workDir = Files.createTempDirectory("startstop-it-");
    builder.directory(workDir.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("AVALANCHE_"));
    builder.environment().putAll(variables);
    process = builder.start();
    return new Output(process);
  }

  /** Collects the child's stdout and stderr lines on two reader threads. */
  private static final class Output {
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    private final Thread outReader;
    private final Thread errReader;

    Output(Process process) {
      outReader = reader(process.getInputStream(), lines);
      errReader = reader(process.getErrorStream(), errors);
    }

    private static Thread reader(InputStream stream, List<String> into) {
      Thread thread =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = in.readLine()) != null) {
                    into.add(line);
                  }
                } catch (IOException closed) {
                  // the process ended
                }
              },
              "it-output");
      thread.setDaemon(true);
      thread.start();
      return thread;
    }

    String await(String text, long seconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (System.nanoTime() < deadline) {
        synchronized (lines) {
          Optional<String> found = lines.stream().filter(l -> l.contains(text)).findFirst();
          if (found.isPresent()) {
            return found.get();
          }
        }
        if (!outReader.isAlive()) {
          break;
        }
        Thread.sleep(100);
      }
      throw new AssertionError(
          "no line with '"
              + text
              + "' in "
              + seconds
              + " s; stdout "
              + lines()
              + " stderr "
              + errors());
    }

    void drained() throws InterruptedException {
      outReader.join(5_000);
      errReader.join(5_000);
    }

    List<String> lines() {
      synchronized (lines) {
        return List.copyOf(lines);
      }
    }

    List<String> errors() {
      synchronized (errors) {
        return List.copyOf(errors);
      }
    }
  }

  private static Path runDir(List<ProcessHandle> processes) {
    for (ProcessHandle p : processes) {
      Matcher m = RUN_DIR.matcher(commandLine(p));
      if (m.find()) {
        return Path.of(m.group(1));
      }
    }
    throw new AssertionError("no child names a " + tmpDir() + "/avalanche-* folder");
  }

  /**
   * What a run started: the jar's child processes, and the postgres server, which pg_ctl detaches
   * from it, found by the run's folder on its command line.
   */
  private List<ProcessHandle> startedIn(Path runDir) {
    List<ProcessHandle> started = new ArrayList<>(process.descendants().toList());
    ProcessHandle.allProcesses()
        .filter(p -> commandLine(p).contains(runDir.toString()) && !started.contains(p))
        .forEach(started::add);
    assertThat(started).anyMatch(p -> commandLine(p).contains("redis-server"));
    assertThat(started).anyMatch(p -> commandLine(p).contains("KafkaChild"));
    assertThat(started).anyMatch(p -> commandLine(p).contains("bin/postgres"));
    return started;
  }

  private static String commandLine(ProcessHandle p) {
    return p.info().commandLine().orElse("");
  }

  private static boolean gone(ProcessHandle p, long seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (p.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    return !p.isAlive();
  }

  /**
   * The child writes its temp folder under the same java.io.tmpdir as this JVM (both default to
   * /tmp).
   */
  private static String tmpDir() {
    String tmp = System.getProperty("java.io.tmpdir");
    return tmp.endsWith("/") ? tmp.substring(0, tmp.length() - 1) : tmp;
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
