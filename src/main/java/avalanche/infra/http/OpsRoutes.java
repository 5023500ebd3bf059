package avalanche.infra.http;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;

/**
 * {@code /health}, {@code /ready} (real round trips to Redis, PostgreSQL and Kafka) and {@code
 * /metrics}.
 */
public final class OpsRoutes {
  private static final long CHECK_TIMEOUT_MS = 2_000;

  private final Redis redis;
  private final Pool pg;
  private final KafkaAdminClient kafka;
  private final String registryName;

  public OpsRoutes(Redis redis, Pool pg, KafkaAdminClient kafka, String registryName) {
    this.redis = redis;
    this.pg = pg;
    this.kafka = kafka;
    this.registryName = registryName;
  }

  public void mount(Router router) {
    router.get("/health").handler(ctx -> Http.json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/ready").handler(this::ready);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registryName));
  }

  private void ready(RoutingContext ctx) {
    Future<?> r = check(redis.send(Request.cmd(Command.PING)));
    Future<?> p = check(pg.query("SELECT 1").execute());
    Future<?> k = check(kafka.describeCluster());
    Future.join(r, p, k)
        .onComplete(
            done -> {
              JsonObject checks =
                  new JsonObject()
                      .put("redis", r.succeeded() ? "UP" : "DOWN")
                      .put("postgres", p.succeeded() ? "UP" : "DOWN")
                      .put("kafka", k.succeeded() ? "UP" : "DOWN");
              if (done.succeeded()) {
                Http.json(ctx, 200, new JsonObject().put("status", "READY").put("checks", checks));
              } else {
                Http.json(
                    ctx,
                    503,
                    new JsonObject()
                        .put("error", "UNAVAILABLE")
                        .put(
                            "message",
                            "not ready: "
                                + String.join(
                                    ", ",
                                    checks.fieldNames().stream()
                                        .filter(name -> "DOWN".equals(checks.getString(name)))
                                        .toList())
                                + " not answering")
                        .put("checks", checks));
              }
            });
  }

  private static Future<?> check(Future<?> probe) {
    return probe.timeout(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }
}
