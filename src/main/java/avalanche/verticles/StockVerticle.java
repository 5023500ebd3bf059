package avalanche.verticles;

import avalanche.infra.Clients;
import avalanche.stock.LuaScript;
import avalanche.stock.RedisLink;
import avalanche.stock.StockAddresses;
import avalanche.stock.StockKeys;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Owns live stock: every reservation, release and confirmation is one atomic Lua script on Redis, sent
 * over this instance's own pipelined connection. No locks: Redis runs each script alone.
 */
public class StockVerticle extends VerticleBase {
  private final LuaScript reserve = LuaScript.load("reserve");
  private final LuaScript release = LuaScript.load("release");
  private final LuaScript confirm = LuaScript.load("confirm");
  private final LuaScript initProduct = LuaScript.load("init_product");

  private Redis client;
  private RedisLink redis;
  private long reservationTtlMs;

  @Override
  public Future<?> start() {
    client = Clients.redis(vertx, config());
    redis = new RedisLink(client);
    reservationTtlMs = config().getJsonObject("drop").getLong("reservationTtlSeconds", 60L) * 1000;
    var bus = vertx.eventBus();
    bus.<JsonObject>localConsumer(StockAddresses.RESERVE, msg -> answer(msg, this::reserve));
    bus.<JsonObject>localConsumer(StockAddresses.RELEASE, msg -> answer(msg, this::release));
    bus.<JsonObject>localConsumer(StockAddresses.CONFIRM, msg -> answer(msg, this::confirm));
    bus.<JsonObject>localConsumer(StockAddresses.INIT, msg -> answer(msg, this::init));
    List<Future<Response>> loads = new ArrayList<>();
    for (LuaScript script : List.of(reserve, release, confirm, initProduct)) {
      loads.add(redis.send(script.loadRequest()));
    }
    return Future.all(loads);
  }

  @Override
  public Future<?> stop() {
    return redis.close().eventually(client::close);
  }

  private static void answer(Message<JsonObject> msg, Function<JsonObject, Future<JsonObject>> work) {
    work.apply(msg.body()).onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
      } else {
        msg.fail(503, String.valueOf(ar.cause().getMessage()));
      }
    });
  }

  private Future<JsonObject> reserve(JsonObject req) {
    long productId = req.getLong("productId");
    String orderId = req.getString("orderId");
    long now = System.currentTimeMillis();
    String address = req.getString("shippingAddress");
    return reserve.run(redis::send,
            List.of(StockKeys.product(productId), StockKeys.buyers(productId), StockKeys.deadlines(productId),
                StockKeys.order(productId, orderId)),
            List.of(req.getString("userId"), orderId, Long.toString(now), Double.toString(req.getDouble("draw")),
                Long.toString(now + reservationTtlMs), address == null ? "" : address))
        .map(r -> {
          JsonObject out = new JsonObject().put("outcome", r.get(0).toString());
          if (r.size() > 1) {
            out.put("RESERVED".equals(out.getString("outcome")) ? "price" : "opensAt", r.get(1).toLong());
          }
          return out.put("createdAt", now);
        });
  }

  private Future<JsonObject> release(JsonObject req) {
    long productId = req.getLong("productId");
    String orderId = req.getString("orderId");
    return release.run(redis::send,
            List.of(StockKeys.product(productId), StockKeys.buyers(productId), StockKeys.deadlines(productId),
                StockKeys.order(productId, orderId)),
            List.of(orderId))
        .map(StockVerticle::result);
  }

  private Future<JsonObject> confirm(JsonObject req) {
    long productId = req.getLong("productId");
    String orderId = req.getString("orderId");
    return confirm.run(redis::send,
            List.of(StockKeys.product(productId), StockKeys.deadlines(productId), StockKeys.order(productId, orderId)),
            List.of(orderId))
        .map(StockVerticle::result);
  }

  /** {productId, fields:{...}}: creates the live hash unless present, and indexes the product. */
  private Future<JsonObject> init(JsonObject req) {
    long productId = req.getLong("productId");
    List<String> args = new ArrayList<>();
    req.getJsonObject("fields").forEach(e -> {
      args.add(e.getKey());
      args.add(String.valueOf(e.getValue()));
    });
    return initProduct.run(redis::send, List.of(StockKeys.product(productId)), args)
        .compose(created -> redis.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.ZADD)
                .arg(StockKeys.PRODUCT_INDEX).arg(req.getLong("createdAt", System.currentTimeMillis())).arg(productId))
            .map(v -> new JsonObject().put("created", created.toInteger() == 1)));
  }

  private static JsonObject result(Response r) {
    JsonObject out = new JsonObject().put("result", r.get(0).toString());
    if (r.size() > 1) {
      out.put("state", r.get(1).toString());
    }
    return out;
  }
}
