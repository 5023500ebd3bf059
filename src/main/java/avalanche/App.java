package avalanche;

import avalanche.auth.SessionEpoch;
import avalanche.infra.Clients;
import avalanche.infra.Migrations;
import avalanche.infra.config.AdminSettings;
import avalanche.infra.config.AppConfig;
import avalanche.infra.config.ConfigException;
import avalanche.infra.config.KafkaSettings;
import avalanche.infra.config.Role;
import avalanche.infra.config.Settings;
import avalanche.infra.config.VerticleCounts;
import avalanche.infra.embedded.Infrastructure;
import avalanche.infra.kafka.Topics;
import avalanche.stock.StockRebuild;
import avalanche.user.AdminAccount;
import avalanche.user.PiiCipher;
import avalanche.verticles.HttpIngressVerticle;
import avalanche.verticles.InventorySyncVerticle;
import avalanche.verticles.LiveFeedVerticle;
import avalanche.verticles.MailVerticle;
import avalanche.verticles.OutboxRelayVerticle;
import avalanche.verticles.PointVerticle;
import avalanche.verticles.ReservationSweeperVerticle;
import avalanche.verticles.RevocationFeedVerticle;
import avalanche.verticles.SagaCoordinatorVerticle;
import avalanche.verticles.ShippingVerticle;
import avalanche.verticles.SoldOutFeedVerticle;
import avalanche.verticles.StockParticipantVerticle;
import avalanche.verticles.StockRepairVerticle;
import avalanche.verticles.WaitingRoomVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.redis.client.Redis;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One running Avalanche: config, the real servers (embedded where not configured), schema, topics,
 * admin account, and the verticles. Used by {@link Main} and by the tests.
 */
public final class App implements AutoCloseable {
  private final Vertx vertx;
  private final Infrastructure infrastructure;
  private final JsonObject config;
  private final Settings settings;
  private final boolean adminPasswordGenerated;
  private final List<String> deployments;
  private final String coordinator;

  private App(
      Vertx vertx,
      Infrastructure infrastructure,
      JsonObject config,
      Settings settings,
      boolean adminPasswordGenerated,
      List<String> deployments,
      String coordinator) {
    this.vertx = vertx;
    this.infrastructure = infrastructure;
    this.config = config;
    this.settings = settings;
    this.adminPasswordGenerated = adminPasswordGenerated;
    this.deployments = deployments;
    this.coordinator = coordinator;
  }

  /**
   * Starts everything, blocking the calling thread (never an event loop) until the server listens.
   */
  public static App start(Map<String, String> env, JsonObject overrides) {
    return start(env, overrides, null);
  }

  /**
   * As {@link #start(Map, JsonObject)}, reusing already started servers (tests share one set per
   * JVM).
   */
  public static App start(Map<String, String> env, JsonObject overrides, Infrastructure shared) {
    String registryName = "avalanche-" + UUID.randomUUID();
    Vertx vertx =
        Vertx.builder()
            .with(
                new VertxOptions()
                    .setMetricsOptions(
                        new MicrometerMetricsOptions()
                            .setEnabled(true)
                            .setRegistryName(registryName)
                            .setJvmMetricsEnabled(true)
                            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
                            .addLabels(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE)
                            // Every purchase is one Redis command: timing it in the client too is
                            // work on every purchase for what avalanche_purchase_time_seconds
                            // gives.
                            .addDisabledMetricsCategory("redis")))
            .withMetrics(new MicrometerMetricsFactory())
            .build();
    Infrastructure infrastructure = null;
    try {
      JsonObject process =
          new JsonObject().put("metrics", new JsonObject().put("registryName", registryName));
      JsonObject config = await(AppConfig.load(vertx, env, process.mergeIn(overrides, true)));
      resolvePiiKey(config, AppConfig.text(config, "pg.url") == null);
      infrastructure = shared;
      if (infrastructure == null) {
        infrastructure = Infrastructure.start(config);
      } else {
        infrastructure.applyTo(config);
      }
      boolean embedded = shared != null || infrastructure.anyEmbedded();
      boolean adminPasswordGenerated = resolveSecrets(config, embedded);
      // Everything is filled in now: the settings every part reads.
      Settings settings = Settings.from(config);

      Migrations.migrate(settings.pg().requiredUrl());
      KafkaSettings kafka = settings.kafka();
      Topics.ensure(kafka.requiredBootstrap(), kafka.partitions(), kafka.replicationFactor());
      await(ensureAdmin(vertx, settings));
      // Before anything writes to Redis: an empty Redis here means a new epoch of sessions.
      await(sessionEpoch(vertx, settings));
      await(StockRebuild.atStart(vertx, settings));

      List<String> deployments = new ArrayList<>();
      VerticleCounts instances = settings.verticles();
      Set<Role> roles = settings.roles();
      String coordinator = null;
      if (roles.contains(Role.SAGA)) {
        // Participants and coordinator (0 instances: this process leaves that part to others).
        deploy(
            vertx,
            deployments,
            StockParticipantVerticle::new,
            config,
            instances.stockParticipant());
        deploy(vertx, deployments, PointVerticle::new, config, instances.point());
        deploy(vertx, deployments, ShippingVerticle::new, config, instances.shipping());
        coordinator =
            deploy(
                vertx,
                deployments,
                SagaCoordinatorVerticle::new,
                config,
                instances.sagaCoordinator());
      }
      if (roles.contains(Role.JOBS)) {
        // Won orders from the Redis outboxes to order.requested (0: this process leaves that to
        // others).
        deploy(vertx, deployments, OutboxRelayVerticle::new, config, instances.outboxRelay());
        deploy(vertx, deployments, ReservationSweeperVerticle::new, config, 1);
        deploy(vertx, deployments, InventorySyncVerticle::new, config, 1);
        deploy(vertx, deployments, StockRepairVerticle::new, config, 1);
        // The waiting rooms' admission step (0: this process leaves it to others).
        deploy(vertx, deployments, WaitingRoomVerticle::new, config, instances.waitingRoom());
      }
      if (roles.contains(Role.API)) {
        // Mail is sent for the account routes; both feeds keep caches the purchase route reads.
        deploy(vertx, deployments, MailVerticle::new, config, 1);
        deploy(vertx, deployments, RevocationFeedVerticle::new, config, 1);
        deploy(vertx, deployments, SoldOutFeedVerticle::new, config, 1);
        // The live ops feed's publisher for this process's ingress instances.
        deploy(vertx, deployments, LiveFeedVerticle::new, config, 1);
        deploy(vertx, deployments, HttpIngressVerticle::new, config, httpInstances(settings));
      }
      return new App(
          vertx,
          shared == null ? infrastructure : null,
          config,
          settings,
          adminPasswordGenerated,
          deployments,
          coordinator);
    } catch (RuntimeException | Error e) {
      vertx.close();
      if (infrastructure != null && shared == null) {
        infrastructure.close();
      }
      throw e;
    }
  }

  private static int httpInstances(Settings settings) {
    int instances = settings.http().instances();
    return instances > 0 ? instances : Runtime.getRuntime().availableProcessors();
  }

  /** Fills in the secrets left unset; answers whether the admin password was generated. */
  private static boolean resolveSecrets(JsonObject config, boolean embedded) {
    if (AppConfig.text(config, "jwt.secret") == null) {
      if (!embedded) {
        throw new ConfigException("AVALANCHE_JWT_SECRET: required when no server runs embedded");
      }
      AppConfig.put(config, "jwt.secret", randomSecret());
    }
    if (AppConfig.text(config, "loadtest") == null) {
      AppConfig.put(config, "loadtest", embedded);
    }
    if (AppConfig.text(config, "admin.password") != null) {
      return false;
    }
    AppConfig.put(config, "admin.password", randomSecret().substring(0, 16));
    return true;
  }

  /**
   * The AES key for personal data. Random per run only when PostgreSQL itself is embedded (its rows
   * die with the run); with a real database a lost key would make every stored name, phone and
   * address unreadable.
   */
  private static void resolvePiiKey(JsonObject config, boolean pgEmbedded) {
    String key = AppConfig.text(config, "pii.key");
    if (key == null) {
      if (!pgEmbedded) {
        throw new ConfigException(
            "AVALANCHE_PII_KEY: required with an external PostgreSQL (base64 of 32 random bytes, "
                + "e.g. `openssl rand -base64 32`)");
      }
      byte[] bytes = new byte[32];
      new SecureRandom().nextBytes(bytes);
      AppConfig.put(config, "pii.key", Base64.getEncoder().encodeToString(bytes));
      return;
    }
    PiiCipher.parseKey(key);
  }

  private static String randomSecret() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static Future<Long> ensureAdmin(Vertx vertx, Settings settings) {
    var pg = Clients.pg(vertx, settings.pg());
    AdminSettings admin = settings.admin();
    return AdminAccount.ensure(vertx, pg, admin.email(), admin.password().orElseThrow())
        .eventually(pg::close);
  }

  private static Future<Long> sessionEpoch(Vertx vertx, Settings settings) {
    Redis redis = Clients.redis(vertx, settings.redis());
    return SessionEpoch.atStart(redis).eventually(redis::close);
  }

  /** The deployment id, or null when {@code instances} is 0. */
  private static String deploy(
      Vertx vertx,
      List<String> deployments,
      Supplier<? extends io.vertx.core.Deployable> verticle,
      JsonObject config,
      int instances) {
    if (instances <= 0) {
      return null;
    }
    String id =
        await(
            vertx.deployVerticle(
                verticle, new DeploymentOptions().setConfig(config).setInstances(instances)));
    deployments.add(id);
    return id;
  }

  public static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("timed out while starting", e);
    }
  }

  public Vertx vertx() {
    return vertx;
  }

  /** The resolved config tree, as the verticles get it (tests deploy verticles of their own). */
  public JsonObject config() {
    return config;
  }

  public Settings settings() {
    return settings;
  }

  /** Whether the admin password was generated at start (the banner shows it then). */
  public boolean adminPasswordGenerated() {
    return adminPasswordGenerated;
  }

  public boolean serves(Role role) {
    return settings.roles().contains(role);
  }

  public int httpPort() {
    return settings.http().port();
  }

  /**
   * Stops this process's saga coordinator (another process's, or a restarted one, carries on its
   * sagas).
   */
  public void stopSagaCoordinator() {
    if (coordinator != null && deployments.remove(coordinator)) {
      await(vertx.undeploy(coordinator));
    }
  }

  public List<String> embeddedServers() {
    return infrastructure == null ? List.of() : infrastructure.describe();
  }

  /**
   * Stops HTTP first (in-flight requests finish), then the other verticles, then the embedded
   * servers.
   */
  @Override
  public void close() {
    try {
      for (int i = deployments.size() - 1; i >= 0; i--) {
        await(vertx.undeploy(deployments.get(i)));
      }
      await(vertx.close());
    } finally {
      if (infrastructure != null) {
        infrastructure.close();
      }
    }
  }
}
