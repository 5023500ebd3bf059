package avalanche.infra.embedded;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Cleans up after a JVM that died without running its shutdown hook (SIGKILL, the OOM killer): a
 * small shell process outside the JVM waits for it to end and then stops every process whose
 * command line names the run's folder (redis-server, postgres, the Kafka child) and deletes the
 * folder. After a normal stop the folder is already gone and it just exits. It runs in a session of
 * its own, so a Ctrl-C does not end it early.
 */
final class RunDirWatchdog {
  // The folder comes in through the environment, not the command line, so the patterns never match
  // this shell.
  private static final String SCRIPT =
      """
      while kill -0 "$AVALANCHE_JVM" 2>/dev/null; do sleep 1; done
      [ -d "$AVALANCHE_RUN_DIR" ] || exit 0
      pkill -QUIT -f "$AVALANCHE_RUN_DIR/postgres/"
      pkill -TERM -f "$AVALANCHE_RUN_DIR/"
      for _ in 1 2 3 4 5 6 7 8 9 10; do pgrep -f "$AVALANCHE_RUN_DIR/" >/dev/null || break; sleep 1; done
      pkill -KILL -f "$AVALANCHE_RUN_DIR/"
      rm -rf "$AVALANCHE_RUN_DIR"
      """;

  private RunDirWatchdog() {}

  /**
   * Starts the watchdog of {@code dir} for this JVM; where there is no POSIX shell, says so and
   * goes on.
   */
  static void watch(Path dir) {
    ProcessBuilder builder =
        new ProcessBuilder(OwnSession.command(List.of("sh", "-c", SCRIPT)))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("AVALANCHE_JVM", Long.toString(ProcessHandle.current().pid()));
    builder.environment().put("AVALANCHE_RUN_DIR", dir.toAbsolutePath().toString());
    try {
      builder.start();
    } catch (IOException e) {
      System.err.println(
          "no watchdog for "
              + dir
              + " ("
              + e.getMessage()
              + "): if this JVM is killed, stop its "
              + "embedded servers by hand");
    }
  }
}
