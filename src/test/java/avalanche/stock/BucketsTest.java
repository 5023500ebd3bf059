package avalanche.stock;

import static avalanche.App.await;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.infra.redis.RedisLink;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A hot product split over buckets, over real HTTP and the real Redis: the drop's rules hold across
 * buckets. Shoppers are picked by their home bucket, so a bucket runs dry while others still hold
 * units and the attempts must borrow.
 */
class BucketsTest {
  private static final String ADDRESS = "1 Bucket Street, Seoul";

  @RegisterExtension static final TestServer server = TestServer.extension();

  @Test
  void creationSplitsTheStockAndIndexesEveryBucket() {
    long productId = await(create(4, 42));
    Buckets buckets = buckets(productId);
    assertThat(buckets.count()).isEqualTo(4);
    List<Long> shares = new ArrayList<>();
    for (String tag : buckets.tags()) {
      shares.add(number(tag, "available"));
    }
    assertThat(shares).containsExactly(11L, 11L, 10L, 10L);
    assertThat(number(buckets.tag(0), "total")).isEqualTo(42);
    Response indexed =
        await(
            server
                .redis()
                .send(Request.cmd(Command.ZRANGE).arg(StockKeys.BUCKET_INDEX).arg(0).arg(-1)));
    Set<String> tags = new HashSet<>();
    indexed.forEach(t -> tags.add(t.toString()));
    assertThat(tags).containsAll(buckets.tags());
    JsonObject product =
        await(server.http().get("/api/products/" + productId).send()).bodyAsJsonObject();
    assertThat(product.getLong("total")).isEqualTo(42);
    assertThat(product.getLong("available")).isEqualTo(42);
  }

  @Test
  void badBucketCountsAreRefusedAndStoreNothing() {
    long before =
        await(server.redis().send(Request.cmd(Command.ZCARD).arg(StockKeys.PRODUCT_INDEX)))
            .toLong();
    for (Object bad : List.of(0, 65, -1, "4", 2.5)) {
      HttpResponse<Buffer> answer = await(createRaw(product(1).put("buckets", bad)));
      assertThat(answer.statusCode()).as("buckets " + bad).isEqualTo(400);
      assertThat(answer.bodyAsJsonObject().getString("error")).isEqualTo("VALIDATION_FAILED");
    }
    HttpResponse<Buffer> withRoom =
        await(
            createRaw(
                product(1)
                    .put("buckets", 2)
                    .put("waitingRoom", new JsonObject().put("admitPerSecond", 10))));
    assertThat(withRoom.statusCode()).isEqualTo(400);
    assertThat(
            await(server.redis().send(Request.cmd(Command.ZCARD).arg(StockKeys.PRODUCT_INDEX)))
                .toLong())
        .as("no product stored")
        .isEqualTo(before);
  }

  /**
   * 100-odd shoppers, all at home in bucket 0 (10 of the 40 units), two attempts each at once:
   * exactly 40 win, one per user, the other buckets lend until every bucket is empty, and the
   * counters add up over the buckets.
   */
  @Test
  void aStampedeOnOneBucketSellsTheWholeStockOnceEach() {
    long productId = await(create(4, 40));
    Buckets buckets = buckets(productId);
    List<Long> shoppers = homeOf(buckets, 0, await(server.createUsers(420, 1_000_000)));
    assertThat(shoppers.size()).isGreaterThan(60);
    WebClient client = client(shoppers.size() * 2);
    List<Future<HttpResponse<Buffer>>> all = new ArrayList<>();
    List<Long> byAttempt = new ArrayList<>();
    for (long user : shoppers) {
      for (int i = 0; i < 2; i++) {
        all.add(purchase(client, productId, user));
        byAttempt.add(user);
      }
    }
    await(Future.join(all).otherwiseEmpty());
    client.close();
    Map<Integer, Integer> byStatus = new HashMap<>();
    Set<Long> winners = new HashSet<>();
    for (int i = 0; i < all.size(); i++) {
      HttpResponse<Buffer> answer = all.get(i).result();
      byStatus.merge(answer.statusCode(), 1, Integer::sum);
      if (answer.statusCode() == 202) {
        assertThat(winners.add(byAttempt.get(i))).as("one order per user").isTrue();
        String orderId = answer.bodyAsJsonObject().getString("orderId");
        assertThat(StockKeys.tagOfOrder(orderId))
            .as("the order lives in its user's home bucket")
            .isEqualTo(buckets.tag(0));
      } else {
        assertThat(answer.statusCode()).isEqualTo(409);
        assertThat(answer.bodyAsJsonObject().getString("error"))
            .isIn("SOLD_OUT", "ALREADY_PURCHASED");
      }
    }
    assertThat(byStatus.get(202)).isEqualTo(40);
    assertThat(byStatus.keySet()).containsOnly(202, 409);
    for (String tag : buckets.tags()) {
      assertThat(number(tag, "available")).as("bucket " + tag + " is empty").isZero();
    }
    assertThat(sum(buckets, "lentOut"))
        .as("nothing left in flight")
        .isEqualTo(sum(buckets, "lentIn"));
    assertThat(sum(buckets, "lentOut")).as("the other buckets lent their 30 units").isEqualTo(30);
    JsonObject stats = stats(productId);
    assertThat(stats.getLong("total")).isEqualTo(40);
    assertThat(stats.getLong("available")).isZero();
    assertThat(stats.getLong("won")).isEqualTo(40);
    assertThat(stats.getLong("reserved") + stats.getLong("sold")).isEqualTo(40);
    assertThat(stats.getLong("attempts")).isEqualTo((long) all.size());
    assertThat(stats.getLong("soldOutRejections") + stats.getLong("alreadyPurchased"))
        .isEqualTo((long) byStatus.get(409));
    // SOLD_OUT only now that every bucket is empty, for a shopper of any bucket.
    long other = homeOf(buckets, 2, await(server.createUsers(40, 1_000))).get(0);
    HttpResponse<Buffer> late = await(purchase(server.http(), productId, other));
    assertThat(late.statusCode()).isEqualTo(409);
    assertThat(late.bodyAsJsonObject().getString("error")).isEqualTo("SOLD_OUT");
    // ALREADY_PURCHASED before SOLD_OUT, across buckets.
    HttpResponse<Buffer> again =
        await(purchase(server.http(), productId, winners.iterator().next()));
    assertThat(again.bodyAsJsonObject().getString("error")).isEqualTo("ALREADY_PURCHASED");
  }

  /**
   * One unit in each of 8 buckets, shoppers of bucket 0 one after another: each is sold a unit as
   * long as any bucket holds one; the ninth is told SOLD_OUT.
   */
  @Test
  void nobodyIsToldSoldOutWhileAnyBucketHoldsAUnit() {
    long productId = await(create(8, 8));
    Buckets buckets = buckets(productId);
    List<Long> shoppers = homeOf(buckets, 0, await(server.createUsers(200, 1_000)));
    assertThat(shoppers.size()).isGreaterThanOrEqualTo(9);
    for (int i = 0; i < 8; i++) {
      HttpResponse<Buffer> answer = await(purchase(server.http(), productId, shoppers.get(i)));
      assertThat(answer.statusCode()).as("shopper " + i).isEqualTo(202);
    }
    HttpResponse<Buffer> ninth = await(purchase(server.http(), productId, shoppers.get(8)));
    assertThat(ninth.statusCode()).isEqualTo(409);
    assertThat(ninth.bodyAsJsonObject().getString("error")).isEqualTo("SOLD_OUT");
  }

  /**
   * A move whose process died after the lend: the units are counted as available all along, the
   * repair puts them on sale in the receiving bucket once, and a second receive changes nothing.
   */
  @Test
  void aMoveLeftHalfDoneIsFinishedOnceByTheRepair() {
    long productId = await(create(2, 10));
    Buckets buckets = buckets(productId);
    String from = buckets.tag(1);
    String to = buckets.tag(0);
    long epoch = number(to, Buckets.EPOCH_FIELD);
    StockScripts scripts = new StockScripts(new RedisLink(server.redis()), 60_000);
    assertThat(await(scripts.lend(from, "m1", to, epoch, 3, false))).isEqualTo(3);
    assertThat(number(from, "available")).isEqualTo(2);
    assertThat(stats(productId).getLong("available")).as("in flight, still on sale").isEqualTo(10);
    BucketMoves repair = new BucketMoves(server.redis(), 0);
    assertThat(await(repair.run())).isEqualTo(1);
    assertThat(number(to, "available")).isEqualTo(8);
    assertThat(await(repair.run())).as("nothing left to finish").isZero();
    assertThat(await(scripts.receive(to, "m1", epoch, 3))).isEqualTo("DUP");
    assertThat(number(to, "available")).isEqualTo(8);
    assertThat(stats(productId).getLong("available")).isEqualTo(10);
    // A move towards an older life of the bucket (rebuilt since) is void.
    assertThat(await(scripts.lend(from, "m2", to, epoch - 1, 1, false))).isEqualTo(1);
    assertThat(await(repair.run())).isEqualTo(1);
    assertThat(number(to, "available")).isEqualTo(8);
    assertThat(stats(productId).getLong("available"))
        .as("the void move's unit is no longer counted")
        .isEqualTo(9);
  }

  /**
   * Redis loses the product (every bucket): the rebuild puts each order back in its own bucket and
   * splits the units left evenly; the restore lifts the hold and the product sells again.
   */
  @Test
  void theRebuildPutsEveryOrderBackInItsBucket() {
    long productId = await(create(3, 12));
    Buckets buckets = buckets(productId);
    List<Long> users = await(server.createUsers(5, 1_000));
    Map<String, Integer> ordersByTag = new HashMap<>();
    for (long user : users) {
      HttpResponse<Buffer> answer = await(purchase(server.http(), productId, user));
      assertThat(answer.statusCode()).isEqualTo(202);
      ordersByTag.merge(
          StockKeys.tagOfOrder(answer.bodyAsJsonObject().getString("orderId")), 1, Integer::sum);
    }
    // Settled by the saga, so PostgreSQL knows every order.
    assertThat(
            await(
                Eventually.until(
                    server.vertx(),
                    30_000,
                    () -> fields(buckets, "sold").map(sold -> total(sold) == 5))))
        .isTrue();
    List<Request> lose = new ArrayList<>();
    for (String tag : buckets.tags()) {
      Request del = Request.cmd(Command.DEL);
      for (String key :
          List.of(
              StockKeys.bucket(tag),
              StockKeys.buyers(tag),
              StockKeys.deadlines(tag),
              StockKeys.lent(tag),
              StockKeys.received(tag))) {
        del.arg(key);
      }
      lose.add(del);
    }
    await(server.redis().batch(lose));
    assertThat(await(StockRebuild.atStart(server.vertx(), server.app().settings()))).isEqualTo(1);
    long leftOver = 0;
    for (String tag : buckets.tags()) {
      assertThat(number(tag, "sold"))
          .as("sold in " + tag)
          .isEqualTo((long) ordersByTag.getOrDefault(tag, 0));
      assertThat(text(tag, StockKeys.HOLD)).isEqualTo("1");
      leftOver += number(tag, "available");
    }
    assertThat(leftOver).isEqualTo(7);
    assertThat(number(buckets.tag(0), "total")).isEqualTo(12);
    assertThat(
            await(
                Eventually.until(
                    server.vertx(),
                    30_000,
                    () ->
                        fields(buckets, StockKeys.HOLD)
                            .map(holds -> holds.stream().allMatch(h -> h == null)))))
        .as("the repair lifts the hold")
        .isTrue();
    long next = await(server.createUsers(1, 1_000)).get(0);
    assertThat(await(purchase(server.http(), productId, next)).statusCode()).isEqualTo(202);
    assertThat(stats(productId).getLong("available")).isEqualTo(6);
  }

  private static Future<Long> create(int buckets, long stock) {
    return server.createProduct(product(stock).put("buckets", buckets));
  }

  private static JsonObject product(long stock) {
    return new JsonObject()
        .put("name", "hot product")
        .put("price", 1)
        .put("stock", stock)
        .put("grade", "COMMON");
  }

  private static Future<HttpResponse<Buffer>> createRaw(JsonObject body) {
    return server
        .adminToken()
        .compose(
            token ->
                server
                    .http()
                    .post("/api/admin/products")
                    .bearerTokenAuthentication(token)
                    .sendJsonObject(body));
  }

  private static Buckets buckets(long productId) {
    return await(BucketDirectory.of(server.vertx()).load(server.redis()::send, productId));
  }

  private static List<Long> homeOf(Buckets buckets, int bucket, List<Long> users) {
    return users.stream().filter(u -> buckets.home(u) == bucket).toList();
  }

  private static WebClient client(int connections) {
    return WebClient.create(
        server.vertx(),
        new WebClientOptions()
            .setDefaultHost("127.0.0.1")
            .setDefaultPort(server.app().httpPort())
            .setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
  }

  private static Future<HttpResponse<Buffer>> purchase(
      WebClient client, long productId, long user) {
    return client
        .post("/api/products/" + productId + "/purchase")
        .bearerTokenAuthentication(server.token(user))
        .sendJsonObject(new JsonObject().put("shippingAddress", ADDRESS));
  }

  private static JsonObject stats(long productId) {
    String admin = await(server.adminToken());
    return await(
            server
                .http()
                .get("/api/admin/products/" + productId + "/stats")
                .bearerTokenAuthentication(admin)
                .send())
        .bodyAsJsonObject();
  }

  private static String text(String tag, String field) {
    Response value = await(server.redis().send(Request.cmd(Command.HGET).arg(tag).arg(field)));
    return value == null ? null : value.toString();
  }

  private static long number(String tag, String field) {
    String value = text(tag, field);
    return value == null ? 0 : Long.parseLong(value);
  }

  private static long sum(Buckets buckets, String field) {
    return total(await(fields(buckets, field)));
  }

  /** The field of every bucket (null where absent), read without blocking. */
  private static Future<List<String>> fields(Buckets buckets, String field) {
    List<Request> reads = new ArrayList<>();
    buckets.tags().forEach(tag -> reads.add(Request.cmd(Command.HGET).arg(tag).arg(field)));
    return server
        .redis()
        .batch(reads)
        .map(
            values -> {
              List<String> out = new ArrayList<>();
              values.forEach(v -> out.add(v == null ? null : v.toString()));
              return out;
            });
  }

  private static long total(List<String> values) {
    return values.stream().mapToLong(v -> v == null ? 0 : Long.parseLong(v)).sum();
  }
}
