package avalanche.infra.embedded;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs an embedded server's process in a session of its own ({@code setsid}, where the system has
 * it). A Ctrl-C in the terminal signals the whole foreground process group; the servers must not
 * get it, because the application stops them itself, after its verticles have drained.
 */
final class OwnSession {
  private static final Path SETSID = Path.of("/usr/bin/setsid");

  private OwnSession() {}

  static List<String> command(List<String> command) {
    if (!Files.isExecutable(SETSID)) {
      return command;
    }
    List<String> wrapped = new ArrayList<>(command.size() + 1);
    wrapped.add(SETSID.toString());
    wrapped.addAll(command);
    return wrapped;
  }
}
