package avalanche.order;

import avalanche.TestServer;
import avalanche.infra.Clients;
import avalanche.infra.DropMetrics;
import avalanche.infra.config.OutboxSettings;
import avalanche.infra.config.Settings;
import avalanche.infra.embedded.FreePorts;
import avalanche.stock.StockKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.redis.client.Redis;
import java.util.List;
import java.util.Map;

/**
 * An {@link OutboxRelay} for tests, wired as {@code OutboxRelayVerticle} wires it but over the
 * test's own products only (the servers are shared by the test JVM, so other classes' outboxes are
 * left alone), with the test's producer settings (e.g. a Kafka that does not answer) and counters
 * of its own.
 */
public final class TestRelay extends VerticleBase {
  private final List<Long> products;
  private final Map<String, String> producerConfig;
  private final OutboxSettings settings;
  private final OutboxMetrics metrics;
  private Redis redis;
  private KafkaProducer<String, byte[]> producer;
  private OutboxRelay relay;
  private String deployment;

  private TestRelay(
      List<Long> products,
      Map<String, String> producerConfig,
      OutboxSettings settings,
      OutboxMetrics metrics) {
    this.products = products;
    this.producerConfig = producerConfig;
    this.settings = settings;
    this.metrics = metrics;
  }

  /** The production settings, with the claim after {@code claimIdleMs} looked for every 200 ms. */
  public static OutboxSettings settings(TestServer server, long claimIdleMs) {
    OutboxSettings s = server.app().settings().outbox();
    return new OutboxSettings(
        s.batchSize(),
        s.idlePollMs(),
        s.retryMaxMs(),
        claimIdleMs,
        200,
        s.productRefreshMs(),
        200,
        s.forgetConsumerMs(),
        s.yieldAboveWinsPerSecond(),
        s.yieldBusyWinsPerSecond(),
        s.yieldBusyCpu(),
        s.yieldMaxLagMs());
  }

  /** A relay of {@code products} that reaches the test JVM's Kafka. */
  public static Future<TestRelay> deploy(
      TestServer server, List<Long> products, OutboxSettings settings) {
    return deploy(
        server,
        products,
        Clients.relayProducerConfig(server.app().settings().kafka()),
        settings,
        OutboxMetrics.of(new SimpleMeterRegistry()));
  }

  /**
   * As {@link #deploy}, measuring into the server's own registry: its {@code /metrics} shows this
   * relay's gauges.
   */
  public static Future<TestRelay> deployExported(
      TestServer server, List<Long> products, OutboxSettings settings) {
    return deploy(
        server,
        products,
        Clients.relayProducerConfig(server.app().settings().kafka()),
        settings,
        OutboxMetrics.of(DropMetrics.registry(server.app().settings())));
  }

  /**
   * A relay of {@code products} whose Kafka never answers: its bootstrap is a port nobody listens
   * on, so every send fails (after 500 ms without the topic's metadata) and its entries stay
   * pending to it.
   */
  public static Future<TestRelay> deployUnreachable(
      TestServer server, List<Long> products, OutboxSettings settings) {
    Map<String, String> config = Clients.relayProducerConfig(server.app().settings().kafka());
    config.put("bootstrap.servers", "127.0.0.1:" + FreePorts.pick());
    config.put("max.block.ms", "500");
    return deploy(server, products, config, settings, OutboxMetrics.of(new SimpleMeterRegistry()));
  }

  private static Future<TestRelay> deploy(
      TestServer server,
      List<Long> products,
      Map<String, String> producerConfig,
      OutboxSettings settings,
      OutboxMetrics metrics) {
    TestRelay relay = new TestRelay(List.copyOf(products), producerConfig, settings, metrics);
    return server
        .vertx()
        .deployVerticle(relay, new DeploymentOptions().setConfig(server.app().config()))
        .map(
            id -> {
              relay.deployment = id;
              return relay;
            });
  }

  @Override
  public Future<?> start() {
    redis = Clients.redis(vertx, Settings.from(config()).redis());
    producer = KafkaProducer.create(vertx, producerConfig);
    relay =
        new OutboxRelay(
            vertx,
            redis,
            producer,
            () -> Future.succeededFuture(products.stream().map(StockKeys::tag).toList()),
            settings,
            metrics);
    return relay.start();
  }

  @Override
  public Future<?> stop() {
    return relay.stop().eventually(() -> Future.join(producer.close(), redis.close()));
  }

  /**
   * Stops this relay: it reads and acknowledges nothing more (what it holds stays pending to it, as
   * to a dead one).
   */
  public Future<Void> undeploy() {
    return vertx.undeploy(deployment);
  }

  public String consumer() {
    return relay.consumer();
  }

  public OutboxMetrics metrics() {
    return metrics;
  }
}
