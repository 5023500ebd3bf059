package avalanche;

import static java.util.stream.Collectors.joining;

import avalanche.infra.config.ConfigException;
import avalanche.infra.config.Role;
import avalanche.infra.config.Settings;
import io.vertx.core.json.JsonObject;

/** {@code java -jar avalanche.jar}: starts the server and stops it cleanly on Ctrl-C / SIGTERM. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.setProperty(
        "vertx.logger-delegate-factory-class-name",
        "io.vertx.core.logging.SLF4JLogDelegateFactory");
    long started = System.nanoTime();
    App app;
    try {
      app = App.start(System.getenv(), new JsonObject());
    } catch (ConfigException e) {
      System.err.println("avalanche: invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    } catch (RuntimeException e) {
      System.err.println("avalanche: could not start: " + e.getMessage());
      System.exit(1);
      return;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("avalanche: stopping");
                  app.close();
                  System.out.println("avalanche: stopped");
                },
                "avalanche-shutdown"));
    System.out.println(banner(app, (System.nanoTime() - started) / 1_000_000));
  }

  private static String banner(App app, long millis) {
    Settings settings = app.settings();
    String embedded =
        app.embeddedServers().isEmpty()
            ? "none (all external)"
            : String.join(", ", app.embeddedServers());
    return String.join(
        "\n",
        "",
        "  Avalanche is up in "
            + millis
            + " ms: "
            + (app.serves(Role.API) ? "http://127.0.0.1:" + app.httpPort() : "no HTTP"),
        "  roles: " + settings.roles().stream().map(Role::configName).collect(joining(",")),
        "  admin: "
            + settings.admin().email()
            + " / "
            + (app.adminPasswordGenerated()
                ? settings.admin().password().orElseThrow()
                : "(from AVALANCHE_ADMIN_PASSWORD)"),
        "  embedded: " + embedded,
        "");
  }
}
