package avalanche.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The fault suite's own temp folder and every process it starts. Cleanup happens three ways: {@link
 * #close()} (called from {@code @AfterAll}), a JVM shutdown hook, and — when the test JVM itself is
 * killed with SIGKILL — a small watchdog shell outside it that kills the recorded child pids (only
 * those whose command line still names this folder, so a reused pid is never hit), stops PostgreSQL
 * and deletes the folder.
 */
final class Sandbox implements AutoCloseable {
  private static final String WATCHDOG =
      """
      while kill -0 "$FAULTS_JVM" 2>/dev/null; do sleep 1; done
      [ -d "$FAULTS_DIR" ] || exit 0
      [ -f "$FAULTS_DIR/pg-stop.sh" ] && sh "$FAULTS_DIR/pg-stop.sh" >/dev/null 2>&1
      if [ -f "$FAULTS_DIR/pids" ]; then
        for p in $(cat "$FAULTS_DIR/pids"); do
          if [ -r "/proc/$p/cmdline" ] && tr '\\0' ' ' < "/proc/$p/cmdline" | grep -qF "$FAULTS_DIR"; then kill -9 "$p"; fi
        done
      fi
      rm -rf "$FAULTS_DIR"
      """;

  final Path dir;
  final Path logs;
  private final List<Process> processes = new ArrayList<>();
  private final List<Runnable> closers = new ArrayList<>();
  private final Thread hook;
  private boolean closed;

  Sandbox(Path logs) {
    try {
      this.dir = Files.createTempDirectory("avalanche-faults-").toAbsolutePath();
      this.logs = Files.createDirectories(logs).toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    hook = new Thread(this::close, "fault-suite-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    ProcessBuilder watchdog =
        new ProcessBuilder("sh", "-c", WATCHDOG)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    watchdog.environment().put("FAULTS_JVM", Long.toString(ProcessHandle.current().pid()));
    watchdog.environment().put("FAULTS_DIR", dir.toString());
    try {
      watchdog.start();
    } catch (IOException e) {
      System.err.println("fault suite: no watchdog (" + e.getMessage() + ")");
    }
  }

  Path subdir(String name) {
    try {
      return Files.createDirectories(dir.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts a child process and remembers it (and its pid, for the watchdog). */
  synchronized Process start(ProcessBuilder builder) {
    try {
      Process process = builder.start();
      processes.add(process);
      Files.writeString(
          dir.resolve("pids"),
          process.pid() + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      return process;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + builder.command(), e);
    }
  }

  /**
   * Something to run at close before the children are killed (e.g. stopping PostgreSQL with
   * pg_ctl).
   */
  synchronized void onClose(Runnable closer) {
    closers.add(closer);
  }

  @Override
  public void close() {
    List<Process> children;
    List<Runnable> toRun;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      children = new ArrayList<>(processes);
      toRun = new ArrayList<>(closers);
    }
    for (int i = toRun.size() - 1; i >= 0; i--) {
      try {
        toRun.get(i).run();
      } catch (RuntimeException e) {
        System.err.println("fault suite cleanup: " + e.getMessage());
      }
    }
    for (Process p : children) {
      if (p.isAlive()) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    }
    for (Process p : children) {
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    deleteTree(dir);
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // called from the hook itself
    }
  }

  static void deleteTree(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      System.err.println("fault suite: could not delete " + root + ": " + e.getMessage());
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
