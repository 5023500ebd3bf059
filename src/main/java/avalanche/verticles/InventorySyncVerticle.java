package avalanche.verticles;

import avalanche.infra.Clients;
import avalanche.stock.InventorySync;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mirrors live stock into PostgreSQL every {@code stock.syncIntervalSeconds}; a message to
 * {@link #ADDRESS} runs one pass now and answers {@code {"products": rows written}}.
 */
public class InventorySyncVerticle extends VerticleBase {
  public static final String ADDRESS = "inventory.sync";
  private static final Logger LOG = LoggerFactory.getLogger(InventorySyncVerticle.class);

  private Pool pg;
  private Redis redis;
  private InventorySync sync;
  private long timer;
  private boolean running;

  @Override
  public Future<?> start() {
    JsonObject stock = config().getJsonObject("stock", new JsonObject());
    pg = Clients.pg(vertx, config());
    redis = Clients.redis(vertx, config());
    sync = new InventorySync(pg, redis, stock.getInteger("syncPageSize", 500));
    timer = vertx.setPeriodic(stock.getLong("syncIntervalSeconds", 30L) * 1000, id -> periodic());
    MessageConsumer<JsonObject> now = vertx.eventBus().localConsumer(ADDRESS, msg -> sync.run().onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(new JsonObject().put("products", ar.result()));
      } else {
        msg.fail(503, String.valueOf(ar.cause().getMessage()));
      }
    }));
    return now.completion();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.join(pg.close(), redis.close());
  }

  private void periodic() {
    if (running) {
      return;
    }
    running = true;
    sync.run().onComplete(ar -> {
      running = false;
      if (ar.failed()) {
        LOG.warn("inventory sync failed; the next pass retries: {}", ar.cause().toString());
      }
    });
  }
}
