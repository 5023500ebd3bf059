package avalanche.load;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The server under test: {@code -DbaseUrl} with {@code -DadminEmail}/{@code -DadminPassword}, or, when no
 * {@code baseUrl} is given, a {@link LocalServer} from {@code -DserverJar} (default
 * {@code ../target/avalanche.jar}). Its URL is known when the simulation is built; the local server itself
 * starts in {@link #start()} (the simulation's {@code before()}) and stops in {@link #stop()}.
 */
final class Target {
  private final String baseUrl;
  private final String adminEmail;
  private final String adminPassword;
  private final LocalServer local;

  private Target(String baseUrl, String adminEmail, String adminPassword, LocalServer local) {
    this.baseUrl = baseUrl;
    this.adminEmail = adminEmail;
    this.adminPassword = adminPassword;
    this.local = local;
  }

  static Target fromSettings() {
    String baseUrl = Settings.text("baseUrl", null);
    if (baseUrl != null) {
      String password = Settings.text("adminPassword", System.getenv("AVALANCHE_ADMIN_PASSWORD"));
      if (password == null) {
        throw new IllegalArgumentException("-DbaseUrl needs -DadminPassword (or AVALANCHE_ADMIN_PASSWORD)");
      }
      return new Target(baseUrl.replaceAll("/+$", ""), Settings.text("adminEmail", "admin@avalanche.local"), password, null);
    }
    // The jar of the repository: Maven runs the simulation in load-tests/ (the smoke), or in the root (-f).
    String jar = Files.isRegularFile(Path.of("load-tests", "pom.xml")) ? "target/avalanche.jar" : "../target/avalanche.jar";
    LocalServer local = new LocalServer(Path.of(Settings.text("serverJar", jar)),
        Path.of(Settings.text("serverLog", "target/avalanche-server.log")));
    return new Target(local.baseUrl(), local.adminEmail(), local.adminPassword(), local);
  }

  String baseUrl() {
    return baseUrl;
  }

  /** Starts the local server (if this run has one) and logs in as the admin. */
  AvalancheApi start() {
    if (local != null) {
      local.start();
    }
    try {
      return AvalancheApi.login(baseUrl, adminEmail, adminPassword);
    } catch (RuntimeException e) {
      stop();
      throw e;
    }
  }

  void stop() {
    if (local != null) {
      local.stop();
    }
  }
}
