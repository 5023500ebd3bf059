package avalanche.verticles;

import avalanche.infra.Channels;
import avalanche.infra.Clients;
import avalanche.infra.Periodic;
import avalanche.infra.config.Settings;
import avalanche.infra.config.StockSettings;
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
 * Mirrors live stock into PostgreSQL every {@code stock.syncIntervalSeconds}; a message to {@link
 * Channels#INVENTORY_SYNC} runs one pass now and answers {@code {"products": rows written}}.
 */
public class InventorySyncVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(InventorySyncVerticle.class);

  private Pool pg;
  private Redis redis;
  private InventorySync sync;
  private Periodic passes;

  @Override
  public Future<?> start() {
    Settings settings = Settings.from(config());
    StockSettings stock = settings.stock();
    pg = Clients.pg(vertx, settings.pg());
    redis = Clients.redis(vertx, settings.redis());
    sync = new InventorySync(pg, redis, stock.syncPageSize());
    passes =
        Periodic.every(vertx, stock.syncIntervalSeconds() * 1000, LOG, "inventory sync", sync::run);
    MessageConsumer<JsonObject> now =
        vertx
            .eventBus()
            .localConsumer(
                Channels.INVENTORY_SYNC,
                msg ->
                    sync.run()
                        .onComplete(
                            ar -> {
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
    passes.cancel();
    return Future.join(pg.close(), redis.close());
  }
}
