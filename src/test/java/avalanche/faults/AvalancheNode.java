package avalanche.faults;

import avalanche.infra.embedded.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One Avalanche process: {@code java -jar target/avalanche.jar} with {@code AVALANCHE_*} variables
 * pointing at the suite's servers, in a working directory of its own (its temp folder inside it
 * too, so even a SIGKILL leaves nothing outside the sandbox). Each start writes its output to
 * {@code target/faults/logs/<name>-<n>.log}.
 */
final class AvalancheNode {
  static final long START_TIMEOUT_S = 180;

  final String name;
  final int port;
  private final Sandbox sandbox;
  private final Path jar;
  private final Map<String, String> env;
  private final Path workDir;
  private Process process;
  private Path log;
  private int starts;

  AvalancheNode(Sandbox sandbox, Path jar, String name, Map<String, String> env) {
    this.sandbox = sandbox;
    this.jar = jar;
    this.name = name;
    this.env = env;
    this.port = FreePorts.pick();
    this.workDir = sandbox.subdir("proc-" + name);
  }

  /**
   * Starts the process and waits for its banner; fails with the log's tail if it exits or takes too
   * long.
   */
  synchronized long start() {
    starts++;
    long started = System.nanoTime();
    log = sandbox.logs.resolve(name + "-" + starts + ".log");
    Path tmp = workDir.resolve("tmp");
    try {
      Files.createDirectories(tmp);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ProcessBuilder builder =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xms256m",
                    "-Xmx768m",
                    "-Djava.io.tmpdir=" + tmp,
                    "-Dfaults.dir=" + sandbox.dir,
                    "-jar",
                    jar.toString()))
            .directory(workDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("AVALANCHE_"));
    builder.environment().putAll(env);
    builder.environment().put("AVALANCHE_HTTP_PORT", Integer.toString(port));
    process = sandbox.start(builder);
    long deadline = started + TimeUnit.SECONDS.toNanos(START_TIMEOUT_S);
    while (System.nanoTime() < deadline) {
      String out = output();
      if (out.contains("Avalanche is up in")) {
        return (System.nanoTime() - started) / 1_000_000;
      }
      if (!process.isAlive()) {
        throw new StartFailure(
            name
                + " exited with "
                + process.exitValue()
                + " at start "
                + starts
                + ": "
                + tail(out));
      }
      Sandbox.sleep(100);
    }
    process.destroyForcibly();
    throw new StartFailure(name + " not up after " + START_TIMEOUT_S + " s: " + tail(output()));
  }

  /** A start that did not reach the banner. */
  static final class StartFailure extends RuntimeException {
    StartFailure(String message) {
      super(message);
    }
  }

  synchronized void kill9() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      await(15);
    }
  }

  /** SIGTERM, as an orchestrator stops a process; SIGKILL after 60 s. */
  synchronized void stop() {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!await(60)) {
        process.destroyForcibly();
        await(15);
      }
    }
  }

  synchronized boolean alive() {
    return process != null && process.isAlive();
  }

  /**
   * Whether this process takes the {@code api} role (every role unless AVALANCHE_ROLES says
   * otherwise).
   */
  boolean servesApi() {
    String roles = env.get("AVALANCHE_ROLES");
    return roles == null || java.util.Arrays.asList(roles.split(",")).contains("api");
  }

  String base() {
    return "http://127.0.0.1:" + port;
  }

  Path log() {
    return log;
  }

  int starts() {
    return starts;
  }

  private boolean await(long seconds) {
    try {
      return process.waitFor(seconds, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  String output() {
    try {
      return log == null || !Files.exists(log) ? "" : Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException | UncheckedIOException e) {
      return "";
    }
  }

  /**
   * Lines of this start's output that look like errors (ERROR level or an exception), at most
   * {@code max}.
   */
  List<String> errorLines(int max) {
    List<String> found = new ArrayList<>();
    for (String line : output().split("\n")) {
      if (line.contains(" ERROR ") || line.contains("Exception")) {
        found.add(line.length() > 300 ? line.substring(0, 300) + "..." : line);
        if (found.size() >= max) {
          break;
        }
      }
    }
    return found;
  }

  static String tail(String out) {
    String[] lines = out.strip().split("\n");
    int from = Math.max(0, lines.length - 15);
    return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
  }
}
