package avalanche.infra.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A real PostgreSQL 17 server from the zonky binaries, with its data folder in the run's temp
 * folder.
 */
public final class EmbeddedPg implements EmbeddedServer {
  private final EmbeddedPostgres postgres;

  private EmbeddedPg(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  public static EmbeddedPg start(Path dir) {
    try {
      EmbeddedPostgres postgres =
          EmbeddedPostgres.builder()
              .setDataDirectory(dir.resolve("data"))
              .setOverrideWorkingDirectory(dir.toFile())
              .setCleanDataDirectory(true)
              .setRegisterShutdownHook(false)
              .setServerConfig("max_connections", "200")
              .setServerConfig("fsync", "off")
              .setServerConfig("synchronous_commit", "off")
              // The working set is in memory: an index probe is not 4 times a sequential page read.
              // With the
              // default, a round of 200 ids seq-scans a table of 60,000 rows rather than probing
              // its primary key.
              .setServerConfig("random_page_cost", "1.1")
              .setOutputRedirector(ProcessBuilder.Redirect.DISCARD)
              .setErrorRedirector(ProcessBuilder.Redirect.DISCARD)
              .start();
      try (var c = postgres.getPostgresDatabase().getConnection();
          var s = c.createStatement()) {
        s.execute("CREATE DATABASE avalanche");
      }
      return new EmbeddedPg(postgres);
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL did not start", e);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException("embedded PostgreSQL: could not create database", e);
    }
  }

  public String url() {
    return "postgresql://postgres:postgres@127.0.0.1:" + postgres.getPort() + "/avalanche";
  }

  @Override
  public String describe() {
    return "postgresql 127.0.0.1:" + postgres.getPort();
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
