package avalanche.infra;

import avalanche.infra.config.PgUrl;
import org.flywaydb.core.Flyway;

/** Flyway over JDBC; blocking, so callers run it on a worker thread. */
public final class Migrations {
  private Migrations() {}

  public static int migrate(String pgUrl) {
    PgUrl url = PgUrl.parse(pgUrl);
    return Flyway.configure()
        .dataSource(url.jdbcUrl(), url.user(), url.password())
        .locations("classpath:db/migration")
        .load()
        .migrate()
        .migrationsExecuted;
  }
}
