package avalanche.infra.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import avalanche.App;
import avalanche.product.Grade;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Parsing and checking the config tree: pure, no servers. */
class SettingsTest {
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    App.await(vertx.close());
  }

  /** The shipped file plus what the start adds (the process's metrics registry). */
  private static JsonObject shipped() throws IOException {
    return new JsonObject(Files.readString(Path.of("conf/avalanche.json")))
        .put("metrics", new JsonObject().put("registryName", "test"));
  }

  @Test
  void theShippedFileParses() throws IOException {
    Settings settings = Settings.from(shipped());

    assertThat(settings.http().port()).isEqualTo(8080);
    assertThat(settings.http().publicBaseUrl()).isEmpty();
    assertThat(settings.roles()).containsExactlyInAnyOrder(Role.API, Role.SAGA, Role.JOBS);
    assertThat(settings.redis().url()).isEmpty();
    assertThat(settings.jwt().secret()).isEmpty();
    assertThat(settings.loadtest()).isEmpty();
    assertThat(settings.drop().winProbability())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(Grade.COMMON, 1.0, Grade.RARE, 0.5, Grade.LEGENDARY, 0.1));
    assertThat(settings.drop().reservationTtlMs()).isEqualTo(60_000);
    assertThat(settings.auth().signup().perEmail()).isZero();
    assertThat(settings.auth().login().windowSeconds()).isEqualTo(60);
    assertThat(settings.smtp().retry().maxDelayMs()).isEqualTo(60_000);
    assertThat(settings.outbox().yieldAboveWinsPerSecond()).isEqualTo(3_000);
    assertThat(settings.outbox().yieldBusyWinsPerSecond()).isEqualTo(1_000);
    assertThat(settings.outbox().yieldBusyCpu()).isEqualTo(0.9);
    assertThat(settings.verticles().outboxRelay()).isEqualTo(1);
    assertThat(settings.metricsRegistry()).isEqualTo("test");
  }

  @Test
  void aMissingKeyIsNamedByItsPath() throws IOException {
    JsonObject tree = shipped();
    tree.getJsonObject("stock").remove("sweepIntervalMs");
    failsWith(tree, "stock.sweepIntervalMs: missing");

    tree = shipped();
    tree.getJsonObject("auth").getJsonObject("limits").getJsonObject("reset").remove("perEmail");
    failsWith(tree, "auth.limits.reset.perEmail: missing");

    tree = shipped();
    tree.remove("queue");
    failsWith(tree, "queue: missing");
  }

  @Test
  void aWrongTypeIsNamedByItsPath() throws IOException {
    failsWith(set("saga", "timeoutSeconds", "300"), "saga.timeoutSeconds: must be a positive");
    failsWith(set("saga", "scanIntervalMs", 1.5), "saga.scanIntervalMs: must be a positive");
    failsWith(set("redis", "cluster", "yes"), "redis.cluster: must be true or false, got 'yes'");
    failsWith(set("http", "host", 80), "http.host: must be a string, got 80");
    JsonObject tree = shipped().put("drop", "fast");
    failsWith(tree, "drop: must be an object, got 'fast'");
  }

  @Test
  void anOutOfRangeValueIsNamedByItsPath() throws IOException {
    failsWith(set("http", "port", 70_000), "http.port: must be a TCP port (1..65535), got 70000");
    failsWith(set("smtp", "port", 0), "smtp.port: must be a TCP port (1..65535), got 0");
    failsWith(set("stock", "sweepIntervalMs", 0), "stock.sweepIntervalMs: must be a positive");
    failsWith(set("verticles", "point", -1), "verticles.point: must be a non-negative integer");
    JsonObject tree = shipped();
    tree.getJsonObject("drop").getJsonObject("winProbability").put("RARE", 1.5);
    failsWith(tree, "drop.winProbability.RARE: must be a number in [0, 1], got 1.5");
    failsWith(shipped().put("signupPoints", -5), "signupPoints: must be a non-negative integer");
    failsWith(
        set("outbox", "yieldBusyCpu", 90),
        "outbox.yieldBusyCpu: must be a number in [0, 1], got 90");
  }

  @Test
  void settingsThatAreWrongTogetherFail() throws IOException {
    failsWith(shipped().put("roles", "api,billing"), "roles: must be a comma-separated list");
    JsonObject tree = set("redis", "cluster", true);
    tree.getJsonObject("drop").put("waitReplicas", 1);
    failsWith(tree, "drop.waitReplicas: not available with AVALANCHE_REDIS_CLUSTER=true");
    failsWith(
        set("redis", "url", "redis://a:1,redis://b:2"),
        "AVALANCHE_REDIS_URL: several seed nodes need AVALANCHE_REDIS_CLUSTER=true");
  }

  @Test
  void aValueTheStartFillsInCannotBeReadBeforeIt() throws IOException {
    Settings settings = Settings.from(shipped());

    assertThatThrownBy(() -> settings.pg().requiredUrl())
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("pg.url: unset");
    assertThatThrownBy(settings::loadtestEnabled).hasMessageStartingWith("loadtest: unset");
  }

  @Test
  void theLoadedTreeIsCheckedWithEnvironmentAndOverridesApplied() {
    JsonObject process = new JsonObject().put("metrics", new JsonObject().put("registryName", "t"));

    JsonObject tree =
        App.await(
            AppConfig.load(
                vertx,
                Map.of("AVALANCHE_SAGA_MAX_OPEN", "7", "AVALANCHE_ROLES", "saga"),
                process.copy().put("stock", new JsonObject().put("repairIntervalMs", 200))));
    Settings settings = Settings.from(tree);
    assertThat(settings.saga().maxOpen()).isEqualTo(7);
    assertThat(settings.roles()).isEqualTo(Set.of(Role.SAGA));
    assertThat(settings.stock().repairIntervalMs()).isEqualTo(200);
    assertThat(settings.stock().sweepIntervalMs()).isEqualTo(1_000);

    assertThatThrownBy(
            () ->
                App.await(
                    AppConfig.load(
                        vertx,
                        Map.of(),
                        process.copy().put("outbox", new JsonObject().put("batchSize", 0)))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("outbox.batchSize: must be a positive integer, got 0");
    assertThatThrownBy(
            () -> App.await(AppConfig.load(vertx, Map.of("AVALANCHE_HTTP_PORT", "abc"), process)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("AVALANCHE_HTTP_PORT: must be a positive integer, got 'abc'");
  }

  @Test
  void anUnsetStringIsEmpty() throws IOException {
    assertThat(Settings.from(set("http", "publicBaseUrl", "  ")).http().publicBaseUrl())
        .isEqualTo(Optional.empty());
    assertThat(Settings.from(set("http", "publicBaseUrl", "https://x")).http().publicBaseUrl())
        .contains("https://x");
  }

  private static JsonObject set(String area, String key, Object value) throws IOException {
    JsonObject tree = shipped();
    tree.getJsonObject(area).put(key, value);
    return tree;
  }

  private static void failsWith(JsonObject tree, String messageStart) {
    assertThatThrownBy(() -> Settings.from(tree))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(messageStart);
  }
}
