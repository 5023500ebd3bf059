package avalanche.product;

import avalanche.auth.AuthHandler;
import avalanche.infra.Channels;
import avalanche.infra.config.DropSettings;
import avalanche.infra.http.ApiException;
import avalanche.infra.http.Bodies;
import avalanche.infra.http.Http;
import avalanche.stock.BucketPlacement;
import avalanche.stock.Buckets;
import avalanche.stock.LiveProducts;
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
  private final boolean cluster;

  public ProductRoutes(
      Vertx vertx, Pool pg, Redis redis, StockScripts scripts, DropSettings drop, boolean cluster) {
    this.vertx = vertx;
    this.pg = pg;
    this.redis = redis;
    this.scripts = scripts;
    this.drop = drop;
    this.cluster = cluster;
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
    int bucketCount =
        body.getValue("buckets") == null
            ? 1
            : (int) Bodies.integer(body, "buckets", 1, Buckets.MAX);
    if (room != null && bucketCount > 1) {
      // A room admits the crowd at admitPerSecond, which one slot serves; its line and
      // admissions live in the first bucket's slot.
      throw ApiException.validation("a product behind a waitingRoom takes buckets 1");
    }
    double winP = drop.winProbability().get(grade);
    return pg.withTransaction(
            conn ->
                conn.preparedQuery(
                        """
                    INSERT INTO products (name, price, grade, win_probability, drop_at, total,
                                          available, room_admit_per_second,
                                          room_opens_seconds_before)
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
                          long createdAt =
                              row.getOffsetDateTime("created_at").toInstant().toEpochMilli();
                          return placement(id, bucketCount)
                              .compose(
                                  buckets ->
                                      conn.preparedQuery(
                                              "UPDATE products SET bucket_salts = $2 WHERE id = $1")
                                          .execute(
                                              Tuple.tuple()
                                                  .addLong(id)
                                                  .addArrayOfInteger(
                                                      buckets
                                                          .salts()
                                                          .subList(1, buckets.count())
                                                          .toArray(Integer[]::new)))
                                          .map(done -> new Created(buckets, createdAt)));
                        }))
        .compose(
            created -> {
              long id = created.buckets().productId();
              JsonObject catalogue =
                  new JsonObject()
                      .put("name", name)
                      .put("price", price)
                      .put("grade", grade.name())
                      .put("winP", winP)
                      .put("dropAt", dropAt.toEpochMilli());
              if (room != null) {
                catalogue
                    .put(RoomFields.ADMIT_PER_SECOND, room.admitPerSecond())
                    .put(RoomFields.OPENS_SECONDS_BEFORE, room.opensSecondsBefore());
              }
              return scripts
                  .init(created.buckets(), catalogue, stock, created.createdAt())
                  .compose(
                      done ->
                          room == null
                              ? Future.succeededFuture()
                              : redis.send(
                                  Request.cmd(Command.ZADD)
                                      .arg(RoomKeys.ROOMS)
                                      .arg(created.createdAt())
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
                        if (created.buckets().split()) {
                          product.put("buckets", created.buckets().count());
                        }
                        return room == null
                            ? product
                            : product.put("waitingRoom", room.toJson(dropAt));
                      });
            });
  }

  private record Created(Buckets buckets, long createdAt) {}

  /** The buckets' salts: round the cluster's masters by its slot map, or 1, 2, 3... */
  private Future<Buckets> placement(long productId, int count) {
    if (count == 1 || !cluster) {
      return Future.succeededFuture(BucketPlacement.standalone(productId, count));
    }
    return redis
        .send(Request.cmd(Command.CLUSTER).arg("SLOTS"))
        .map(slots -> BucketPlacement.cluster(productId, count, slots));
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
    return live(id).map(ProductViews::product);
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

  private Future<LiveProducts.Live> live(long id) {
    return LiveProducts.read(redis, List.of(id))
        .map(
            found -> {
              if (found.get(0) == null) {
                throw ApiException.notFound("no such product");
              }
              return found.get(0);
            });
  }

  private Future<JsonObject> list(RoutingContext ctx) {
    return redis
        .send(Request.cmd(Command.ZRANGE).arg(StockKeys.PRODUCT_INDEX).arg(-MAX_LISTED).arg(-1))
        .compose(
            ids -> {
              List<Long> productIds = new ArrayList<>();
              for (Response id : ids) {
                productIds.add(id.toLong());
              }
              return LiveProducts.read(redis, productIds);
            })
        .map(
            products -> {
              JsonArray items = new JsonArray();
              for (int i = products.size() - 1; i >= 0; i--) {
                if (products.get(i) != null) {
                  items.add(ProductViews.product(products.get(i)));
                }
              }
              return new JsonObject().put("items", items);
            });
  }
}
