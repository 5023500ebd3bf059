package avalanche.infra.embedded;

import avalanche.infra.config.AppConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;

/**
 * Starts an embedded real server for every part whose address is not configured, in one temp folder
 * of the run, and writes their addresses into the config tree. Blocking: call it off the event
 * loop.
 */
public final class Infrastructure implements AutoCloseable {
  private final Path dir;
  private final List<EmbeddedServer> servers;
  private final EmbeddedSmtp smtp;
  private final JsonObject endpoints = new JsonObject();

  private Infrastructure(Path dir, List<EmbeddedServer> servers, EmbeddedSmtp smtp) {
    this.dir = dir;
    this.servers = servers;
    this.smtp = smtp;
  }

  /**
   * Writes the addresses of the embedded servers into another config tree (tests share one set). A
   * part the tree already names (e.g. {@code smtp.host}) keeps its own address, so a test can point
   * one part elsewhere.
   */
  public void applyTo(JsonObject config) {
    java.util.Set<String> external = new java.util.HashSet<>();
    EXTERNAL.forEach(
        (part, setting) -> {
          if (AppConfig.text(config, setting) != null) {
            external.add(part);
          }
        });
    endpoints.forEach(
        e -> {
          if (!external.contains(e.getKey().substring(0, e.getKey().indexOf('.')))) {
            AppConfig.put(config, e.getKey(), e.getValue());
          }
        });
  }

  /** The setting that names an external server for each part. */
  private static final java.util.Map<String, String> EXTERNAL =
      java.util.Map.of(
          "redis", "redis.url", "pg", "pg.url", "kafka", "kafka.bootstrap", "smtp", "smtp.host");

  public static Infrastructure start(JsonObject config) {
    Path dir;
    try {
      dir = Files.createTempDirectory("avalanche-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    var redis =
        AppConfig.text(config, "redis.url") == null
            ? CompletableFuture.supplyAsync(() -> EmbeddedRedis.start(subdir(dir, "redis")))
            : null;
    var pg =
        AppConfig.text(config, "pg.url") == null
            ? CompletableFuture.supplyAsync(() -> EmbeddedPg.start(subdir(dir, "postgres")))
            : null;
    var kafka =
        AppConfig.text(config, "kafka.bootstrap") == null
            ? CompletableFuture.supplyAsync(() -> EmbeddedKafka.start(subdir(dir, "kafka")))
            : null;
    EmbeddedSmtp smtp = AppConfig.text(config, "smtp.host") == null ? EmbeddedSmtp.start() : null;
    if (redis != null || pg != null || kafka != null) {
      RunDirWatchdog.watch(dir);
    }

    List<EmbeddedServer> started = new ArrayList<>();
    if (smtp != null) {
      started.add(smtp);
    }
    RuntimeException failure = null;
    for (var pending :
        List.of(
            redis == null ? done() : redis,
            pg == null ? done() : pg,
            kafka == null ? done() : kafka)) {
      try {
        EmbeddedServer server = pending.join();
        if (server != null) {
          started.add(server);
        }
      } catch (CompletionException e) {
        failure =
            e.getCause() instanceof RuntimeException r
                ? r
                : new IllegalStateException(e.getCause());
      }
    }
    Infrastructure infrastructure = new Infrastructure(dir, started, smtp);
    if (failure != null) {
      infrastructure.close();
      throw failure;
    }
    JsonObject endpoints = infrastructure.endpoints;
    if (smtp != null) {
      endpoints
          .put("smtp.host", smtp.host())
          .put("smtp.port", smtp.port())
          .put("smtp.embedded", true);
    }
    if (redis != null) {
      endpoints.put("redis.url", redis.join().url());
    }
    if (pg != null) {
      endpoints.put("pg.url", pg.join().url());
    }
    if (kafka != null) {
      endpoints.put("kafka.bootstrap", kafka.join().bootstrap());
    }
    infrastructure.applyTo(config);
    return infrastructure;
  }

  private static CompletableFuture<EmbeddedServer> done() {
    return CompletableFuture.completedFuture(null);
  }

  private static Path subdir(Path dir, String name) {
    try {
      return Files.createDirectories(dir.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public boolean anyEmbedded() {
    return !servers.isEmpty();
  }

  public List<String> describe() {
    return servers.stream().map(EmbeddedServer::describe).toList();
  }

  /** The in-process SMTP sink, or null when mail goes to an external relay. */
  public EmbeddedSmtp smtp() {
    return smtp;
  }

  @Override
  public void close() {
    for (int i = servers.size() - 1; i >= 0; i--) {
      EmbeddedServer server = servers.get(i);
      try {
        server.close();
      } catch (RuntimeException e) {
        System.err.println("could not stop " + server.describe() + ": " + e.getMessage());
      }
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e.getMessage());
    }
  }
}
