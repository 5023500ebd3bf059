package avalanche.verticles;

import avalanche.infra.Channels;
import avalanche.infra.Clients;
import avalanche.infra.config.Settings;
import avalanche.infra.redis.RedisLink;
import avalanche.stock.Buckets;
import avalanche.stock.StockKeys;
import avalanche.stock.StockScripts;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import java.util.function.Function;

/**
 * Serves the stock scripts on the event bus ({@code stock.*}) for the saga, the sweeper and product
 * creation, over this instance's own pipelined connection. (The purchase route runs reserve.lua
 * itself, from each ingress instance, to save the hop.)
 */
public class StockVerticle extends VerticleBase {
  private Redis client;
  private StockScripts scripts;

  @Override
  public Future<?> start() {
    Settings settings = Settings.from(config());
    client = Clients.redis(vertx, settings.redis());
    scripts = new StockScripts(new RedisLink(client), settings.drop().reservationTtlMs());
    var bus = vertx.eventBus();
    bus.<JsonObject>localConsumer(Channels.STOCK_RESERVE, msg -> answer(msg, this::reserve));
    bus.<JsonObject>localConsumer(
        Channels.STOCK_RELEASE,
        msg -> answer(msg, req -> scripts.release(req.getString("orderId"))));
    bus.<JsonObject>localConsumer(
        Channels.STOCK_CONFIRM,
        msg -> answer(msg, req -> scripts.confirm(req.getString("orderId"))));
    bus.<JsonObject>localConsumer(
        Channels.STOCK_INIT,
        msg ->
            answer(
                msg,
                req ->
                    scripts
                        .init(
                            Buckets.single(req.getLong("productId")),
                            req.getJsonObject("fields").copy(),
                            req.getJsonObject("fields").getLong("total", 0L),
                            req.getLong("createdAt", System.currentTimeMillis()))
                        .map(created -> new JsonObject().put("created", created))));
    return scripts.load();
  }

  @Override
  public Future<?> stop() {
    return scripts.close().eventually(client::close);
  }

  private static void answer(
      Message<JsonObject> msg, Function<JsonObject, Future<JsonObject>> work) {
    work.apply(msg.body())
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                msg.reply(ar.result());
              } else {
                msg.fail(503, String.valueOf(ar.cause().getMessage()));
              }
            });
  }

  /**
   * {productId, userId, orderId, draw, shippingAddress?} → {outcome, price | opensAt | returns,
   * createdAt}.
   */
  private Future<JsonObject> reserve(JsonObject req) {
    return scripts
        .reserve(
            StockKeys.tag(req.getLong("productId")),
            req.getLong("productId"),
            Long.parseLong(req.getString("userId")),
            req.getString("orderId"),
            req.getDouble("draw"),
            req.getString("shippingAddress"),
            null,
            false)
        .map(
            r -> {
              JsonObject out =
                  new JsonObject()
                      .put("outcome", r.outcome().name())
                      .put("createdAt", r.createdAt());
              return switch (r.outcome()) {
                case RESERVED -> out.put("price", r.price());
                case DROP_NOT_OPEN -> out.put("opensAt", r.opensAt());
                case SOLD_OUT -> out.put("returns", r.returns());
                default -> out;
              };
            });
  }
}
