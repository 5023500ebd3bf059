package avalanche.product;

import avalanche.auth.AuthHandler;
import avalanche.infra.Channels;
import avalanche.infra.config.DropSettings;
import avalanche.infra.http.ApiException;
import avalanche.infra.http.Bodies;
import avalanche.infra.http.Http;
import avalanche.stock.StockKeys;
import avalanche.stock.StockScripts;
import avalanche.waitingroom.RoomFields;
import avalanche.waitingroom.RoomKeys;
import avalanche.waitingroom.RoomSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Product catalogue. PostgreSQL is the record; reads come from the product's live Redis hash, which
 * holds both the catalogue fields and the live counters, so one HGETALL answers a product or its
 * stats.
 */
public final class ProductRoutes {
  private static final int MAX_LISTED = 500;

  /**
   * Input bounds (README, "Input bounds"): a product's whole stock at its price, at most 10^16
   * points, stays below 2^63, so no sum over one product can overflow a 64-bit integer.
   */
  public static final long MAX_PRICE = 1_000_000_000L;

  public static final long MAX_STOCK = 10_000_000L;

  /**
   * dropAt lies in the years 2000 to 2999 (UTC): the first instant allowed and the first one past
   * the range.
   */
  private static final Instant FIRST_DROP = Instant.parse("2000-01-01T00:00:00Z");

  private static final Instant PAST_LAST_DROP = Instant.parse("3000-01-01T00:00:00Z");
  private static final DeliveryOptions FLUSH =
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(2_000);

  private final Vertx vertx;
  private final Pool pg;
  private final Redis redis;
  private final StockScripts scripts;
  private final DropSettings drop;

  public ProductRoutes(Vertx vertx, Pool pg, Redis redis, StockScripts scripts, DropSettings drop) {
    this.vertx = vertx;
    this.pg = pg;
    this.redis = redis;
    this.scripts = scripts;
    this.drop = drop;
  }

  public void mount(Router router, AuthHandler auth) {
    router
        .post("/api/admin/products")
        .handler(auth)
        .handler(AuthHandler::requireAdmin)
        .handler(Http.handle(201, this::create));
    router
        .get("/api/admin/products/:productId/stats")
        .handler(auth)
        .handler(AuthHandler::requireAdmin)
        .handler(Http.handle(200, this::stats));
    router.get("/api/products").handler(Http.handle(200, this::list));
    router.get("/api/products/:productId").handler(Http.handle(200, this::get));
  }

  private Future<JsonObject> create(RoutingContext ctx) {
    JsonObject body = Bodies.object(ctx, false);
    String name = Bodies.string(body, "name", 200);
    long price = Bodies.integer(body, "price", 0, MAX_PRICE);
    long stock = Bodies.integer(body, "stock", 0, MAX_STOCK);
    Grade grade = Grade.parse(Bodies.string(body, "grade", 20));
    // Milliseconds, as the live hash keeps it: the create answer then matches every later read.
    Instant dropAt =
        dropAt(Bodies.optionalString(body, "dropAt", 64)).truncatedTo(ChronoUnit.MILLIS);
    RoomSettings room = RoomSettings.parse(body);
    double winP = drop.winProbability().get(grade);
    return pg.preparedQuery(
            """
            INSERT INTO products (name, price, grade, win_probability, drop_at, total, available,
                                  room_admit_per_second, room_opens_seconds_before)
            VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) RETURNING id, created_at""")
        .execute(
            Tuple.of(
                    name,
                    price,
                    grade.name(),
                    winP,
                    OffsetDateTime.ofInstant(dropAt, ZoneOffset.UTC),
                    (int) stock)
                .addValue(room == null ? null : (int) room.admitPerSecond())
                .addValue(room == null ? null : (int) room.opensSecondsBefore()))
        .compose(
            rows -> {
              var row = rows.iterator().next();
              long id = row.getLong("id");
              JsonObject fields =
                  new JsonObject()
                      .put("name", name)
                      .put("price", price)
                      .put("grade", grade.name())
                      .put("winP", winP)
                      .put("dropAt", dropAt.toEpochMilli())
                      .put("total", stock)
                      .put("available", stock)
                      .put("reserved", 0)
                      .put("sold", 0);
              if (room != null) {
                fields
                    .put(RoomFields.ADMIT_PER_SECOND, room.admitPerSecond())
                    .put(RoomFields.OPENS_SECONDS_BEFORE, room.opensSecondsBefore());
              }
              long createdAt = row.getOffsetDateTime("created_at").toInstant().toEpochMilli();
              return scripts
                  .init(id, fields, createdAt)
                  .compose(
                      created ->
                          room == null
                              ? Future.succeededFuture()
                              : redis.send(
                                  Request.cmd(Command.ZADD)
                                      .arg(RoomKeys.ROOMS)
                                      .arg(createdAt)
                                      .arg(id)))
                  .map(
                      indexed -> {
                        JsonObject product =
                            new JsonObject()
                                .put("productId", Long.toString(id))
                                .put("name", name)
                                .put("price", price)
                                .put("grade", grade.name())
                                .put("dropAt", dropAt.toString())
                                .put("total", stock)
                                .put("available", stock);
                        return room == null
                            ? product
                            : product.put("waitingRoom", room.toJson(dropAt));
                      });
            });
  }

  /**
   * Now when absent. A date-time far off would still parse (up to the year 999999999), but
   * PostgreSQL stores one beyond its own range as 'infinity' and it overflows epoch milliseconds:
   * refused before anything is stored.
   */
  private static Instant dropAt(String raw) {
    if (raw == null) {
      return Instant.now();
    }
    Instant dropAt;
    try {
      dropAt = OffsetDateTime.parse(raw).toInstant();
    } catch (DateTimeParseException e) {
      try {
        dropAt = Instant.parse(raw);
      } catch (DateTimeParseException again) {
        throw ApiException.validation(
            "dropAt must be an ISO-8601 date-time with offset, e.g. 2026-11-24T10:00:00Z");
      }
    }
    if (dropAt.isBefore(FIRST_DROP) || !dropAt.isBefore(PAST_LAST_DROP)) {
      throw ApiException.validation("dropAt must lie in the years 2000 to 2999 (UTC)");
    }
    return dropAt;
  }

  private Future<JsonObject> get(RoutingContext ctx) {
    long id = Bodies.numericId(ctx.pathParam("productId"), "product");
    return live(id).map(hash -> ProductViews.product(id, hash));
  }

  private Future<JsonObject> stats(RoutingContext ctx) {
    long id = Bodies.numericId(ctx.pathParam("productId"), "product");
    // Attempts this process answered from its sold-out cache are written first, so its own stats
    // are exact.
    return vertx
        .eventBus()
        .request(Channels.STOCK_COUNTS_FLUSH, null, FLUSH)
        .otherwiseEmpty()
        .compose(flushed -> live(id))
        .map(ProductViews::stats);
  }

  private Future<Response> live(long id) {
    return redis
        .send(Request.cmd(Command.HGETALL).arg(StockKeys.product(id)))
        .map(
            hash -> {
              if (hash == null || hash.size() == 0) {
                throw ApiException.notFound("no such product");
              }
              return hash;
            });
  }

  private Future<JsonObject> list(RoutingContext ctx) {
    return redis
        .send(Request.cmd(Command.ZRANGE).arg(StockKeys.PRODUCT_INDEX).arg(-MAX_LISTED).arg(-1))
        .compose(
            ids -> {
              List<Long> productIds = new ArrayList<>();
              List<Request> reads = new ArrayList<>();
              for (Response id : ids) {
                productIds.add(id.toLong());
                reads.add(Request.cmd(Command.HGETALL).arg(StockKeys.product(id.toLong())));
              }
              if (reads.isEmpty()) {
                return Future.succeededFuture(new JsonObject().put("items", new JsonArray()));
              }
              return redis
                  .batch(reads)
                  .map(
                      hashes -> {
                        JsonArray items = new JsonArray();
                        for (int i = hashes.size() - 1; i >= 0; i--) {
                          if (hashes.get(i) != null && hashes.get(i).size() > 0) {
                            items.add(ProductViews.product(productIds.get(i), hashes.get(i)));
                          }
                        }
                        return new JsonObject().put("items", items);
                      });
            });
  }
}
