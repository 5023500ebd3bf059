package avalanche.faults;

import avalanche.infra.embedded.FreePorts;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * PostgreSQL 17 from the zonky binaries, driven with {@code pg_ctl} so it can be stopped in
 * immediate mode (a crash: no checkpoint, recovery at the next start) and started again on the same
 * port and data folder. zonky only extracts the binaries, runs initdb and creates the database
 * once; every later start and stop is {@code pg_ctl}'s. {@code synchronous_commit} stays on, as on
 * a production server: with it off, an immediate stop would lose commits the application was
 * already told about, which no application could survive.
 */
final class PgNode {
  private static final String OPTIONS =
      String.join(
          " ",
          "-c listen_addresses=127.0.0.1",
          "-c max_connections=200",
          "-c fsync=off",
          "-c synchronous_commit=on",
          "-c random_page_cost=1.1",
          "-c timezone=UTC");

  private final Sandbox sandbox;
  private final Path dir;
  private final Path data;
  private final Path log;
  final int port;
  private Path pgCtl;

  /** pg_ctl refuses to run as root; as zonky does, run it in a user namespace of its own then. */
  private final List<String> prefix = asRoot() ? List.of("unshare", "-U") : List.of();

  PgNode(Sandbox sandbox) {
    this.sandbox = sandbox;
    this.dir = sandbox.subdir("postgres");
    this.data = dir.resolve("data");
    this.log = sandbox.logs.resolve("postgres.log");
    this.port = FreePorts.pick();
  }

  String url() {
    return "postgresql://postgres:postgres@127.0.0.1:" + port + "/avalanche";
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:"
        + port
        + "/avalanche?user=postgres&connectTimeout=5&socketTimeout=60";
  }

  Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl());
  }

  /** First start: binaries, initdb, the database; then hands over to pg_ctl. */
  void init() {
    try {
      EmbeddedPostgres postgres =
          EmbeddedPostgres.builder()
              .setDataDirectory(data)
              .setOverrideWorkingDirectory(dir.toFile())
              .setCleanDataDirectory(false)
              .setPort(port)
              .setOutputRedirector(ProcessBuilder.Redirect.DISCARD)
              .setErrorRedirector(ProcessBuilder.Redirect.DISCARD)
              .start();
      try (var c = postgres.getPostgresDatabase().getConnection();
          var s = c.createStatement()) {
        s.execute("CREATE DATABASE avalanche");
      }
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException("PostgreSQL init", e);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL init", e);
    }
    try (Stream<Path> walk = Files.walk(dir, 4)) {
      pgCtl =
          walk.filter(p -> p.endsWith(Path.of("bin", "pg_ctl")))
              .findFirst()
              .orElseThrow(() -> new IllegalStateException("no bin/pg_ctl under " + dir));
      // For the watchdog, should this JVM be killed: stop the server the way a crash would.
      Files.writeString(
          sandbox.dir.resolve("pg-stop.sh"),
          String.join(" ", prefix)
              + " '"
              + pgCtl
              + "' -D '"
              + data
              + "' -m immediate -t 10 -w stop\n",
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    sandbox.onClose(() -> pgCtl("stop", "-m", "fast", "-t", "20", "-w"));
    start();
  }

  void start() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    String last = "";
    while (System.nanoTime() < deadline) {
      last =
          pgCtl(
              "start", "-w", "-t", "60", "-l", log.toString(), "-o", "-p " + port + " " + OPTIONS);
      if (ready()) {
        return;
      }
      Sandbox.sleep(500); // e.g. the port still held for a moment: try again
    }
    throw new IllegalStateException("PostgreSQL did not start: " + last + "; see " + log);
  }

  /**
   * Immediate mode: every server process quits at once, no shutdown checkpoint; the next start
   * recovers.
   */
  void stopImmediate() {
    String out = pgCtl("stop", "-m", "immediate", "-t", "20", "-w");
    if (ready()) {
      throw new IllegalStateException("PostgreSQL still answers after the immediate stop: " + out);
    }
  }

  boolean ready() {
    try (Connection c = connect();
        var s = c.createStatement();
        var rs = s.executeQuery("SELECT 1")) {
      return rs.next();
    } catch (SQLException e) {
      return false;
    }
  }

  private static boolean asRoot() {
    try {
      Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return id.waitFor() == 0 && "0".equals(uid);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private String pgCtl(String... args) {
    List<String> command = new ArrayList<>(prefix);
    command.add(pgCtl.toString());
    command.add("-D");
    command.add(data.toString());
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor(90, TimeUnit.SECONDS);
      return "pg_ctl " + args[0] + " exit " + p.exitValue() + ": " + out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
