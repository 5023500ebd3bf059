package avalanche.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.App;
import avalanche.TestServer;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The waiting room against the real (embedded) Redis, with two servers sharing it: both run the
 * admission step and both serve joins, polls and purchases. Tickets expire after 3 s without a poll
 * and admissions after 3 s here (the contract's 60 s and 120 s are the config's defaults), so
 * expiry is seen in seconds.
 */
class WaitingRoomTest {
  private static final long POLL_TIMEOUT_S = 3;
  private static final long ADMISSION_TTL_S = 3;
  private static TestServer one;
  private static TestServer two;

  @BeforeAll
  static void start() {
    JsonObject overrides =
        new JsonObject()
            .put(
                "queue",
                new JsonObject()
                    .put("pollTimeoutSeconds", POLL_TIMEOUT_S)
                    .put("admissionTtlSeconds", ADMISSION_TTL_S)
                    .put("admitIntervalMs", 50));
    one = TestServer.start(overrides);
    two = TestServer.start(overrides);
  }

  @AfterAll
  static void stop() {
    two.close();
    one.close();
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void preQueueIsShuffledOnceAtDropAtAndAdmittedInPlaceOrderAtTheRate() {
    int crowd = 40;
    long rate = 2;
    long dropAt = System.currentTimeMillis() + 4_000;
    long productId = product(100, dropAt, rate, 600);
    List<Shopper> shoppers = shoppers(crowd);
    List<String> joinOrder = new ArrayList<>();
    for (int i = 0; i < crowd; i++) {
      JsonObject ticket = join(server(i), productId, shoppers.get(i), 202);
      assertThat(ticket.getString("state")).isEqualTo("PRE_QUEUE");
      assertThat(ticket.getValue("position")).isNull();
      assertThat(ticket.getValue("estimatedWaitSeconds")).isNull();
      shoppers.get(i).ticket = ticket.getString("ticket");
      joinOrder.add(ticket.getString("ticket"));
    }
    // Joining again gives the same ticket.
    assertThat(join(two, productId, shoppers.get(0), 202).getString("ticket"))
        .isEqualTo(shoppers.get(0).ticket);
    keepAlive(productId, shoppers, () -> System.currentTimeMillis() > dropAt + 500);

    List<String> first = line(productId);
    Map<String, String> room = hash(RoomKeys.room(productId));
    assertThat(room).containsKeys("shuffled", "seed", "admitFrom");
    assertThat(Long.parseLong(room.get("preQueued"))).isEqualTo(crowd);
    // Two processes ran the step every 50 ms for seconds: the order of who is still in line never
    // changes.
    keepAlive(productId, shoppers, () -> System.currentTimeMillis() > dropAt + 3_000);
    List<String> later = line(productId);
    assertThat(first).containsSubsequence(later);
    assertThat(hash(RoomKeys.room(productId)).get("shuffled")).isEqualTo(room.get("shuffled"));
    // One random order, not the order of joining: the line's tickets, taken in join order, are
    // another sequence.
    assertThat(joinOrder.stream().filter(first::contains).toList()).isNotEqualTo(first);

    // Admitted at the shared rate, never more: slot k opens (k - 1) / rate s after admission began.
    long admitFrom = Long.parseLong(room.get("admitFrom"));
    Map<String, String> product = hash("{p:" + productId + "}");
    long admitted = Long.parseLong(product.get("qAdmitted"));
    long bound = (System.currentTimeMillis() - admitFrom) * rate / 1000 + 1;
    assertThat(admitted).isBetween(1L, bound);
    assertThat(admitted + later.size()).isEqualTo(crowd);

    // What the shoppers see agrees: positions 1..n in line order, waits from the rate; the admitted
    // hold tokens;
    // places are distinct, from 1 to the crowd, and ordered as the line.
    Map<String, Long> places = new HashMap<>();
    for (Shopper shopper : shoppers) {
      JsonObject seen = poll(one, productId, shopper, 200);
      if (seen.getValue("place") != null) {
        places.put(shopper.ticket, seen.getLong("place"));
      }
      int place = later.indexOf(shopper.ticket);
      if (place >= 0) {
        assertThat(seen.getString("state")).isIn("WAITING", "ADMITTED");
        if ("WAITING".equals(seen.getString("state"))) {
          assertThat(seen.getLong("position")).isBetween(1L, (long) place + 1);
          assertThat(seen.getLong("estimatedWaitSeconds"))
              .isEqualTo((seen.getLong("position") + rate - 1) / rate);
        }
      } else if ("ADMITTED".equals(seen.getString("state"))) {
        assertThat(seen.getString("admission")).isNotBlank();
      } else {
        assertThat(seen.getString("state")).as("an admission unused for 3 s").isEqualTo("EXPIRED");
      }
    }
    assertThat(places.values()).doesNotHaveDuplicates().allMatch(p -> p >= 1 && p <= crowd);
    assertThat(later.stream().filter(places::containsKey).map(places::get).toList()).isSorted();
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void afterTheDropOpensLaterJoinersQueueFirstComeFirstServed() {
    long productId = product(100, System.currentTimeMillis() - 1_000, 1, 600);
    List<Shopper> shoppers = shoppers(6);
    List<String> joinOrder = new ArrayList<>();
    for (int i = 0; i < shoppers.size(); i++) {
      JsonObject ticket = join(server(i), productId, shoppers.get(i), 202);
      shoppers.get(i).ticket = ticket.getString("ticket");
      joinOrder.add(ticket.getString("ticket"));
    }
    assertThat(joinOrder).containsSubsequence(line(productId));
    // Admissions come in join order: whenever someone is admitted, everyone who joined before is
    // too (an admission
    // left unused shows EXPIRED after 3 s here: admitted all the same).
    long until = System.currentTimeMillis() + 4_500;
    while (System.currentTimeMillis() < until) {
      List<Boolean> admitted = new ArrayList<>();
      for (Shopper shopper : shoppers) {
        admitted.add(!"WAITING".equals(poll(two, productId, shopper, 200).getString("state")));
      }
      int firstWaiting = admitted.indexOf(false);
      if (firstWaiting >= 0) {
        assertThat(admitted.subList(firstWaiting, admitted.size())).containsOnly(false);
      }
      sleep(300);
    }
    assertThat(poll(one, productId, shoppers.get(2), 200).getString("state"))
        .isNotEqualTo("WAITING");
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void aTicketNotPolledExpiresAndGivesUpItsPlace() {
    long dropAt = System.currentTimeMillis() + (POLL_TIMEOUT_S + 3) * 1000;
    long productId = product(100, dropAt, 1, 600);
    List<Shopper> shoppers = shoppers(5);
    for (int i = 0; i < shoppers.size(); i++) {
      shoppers.get(i).ticket = join(server(i), productId, shoppers.get(i), 202).getString("ticket");
    }
    Shopper gone = shoppers.get(0);
    List<Shopper> stay = shoppers.subList(1, shoppers.size());
    // Only the other four keep polling until after the drop.
    keepAlive(productId, stay, () -> System.currentTimeMillis() > dropAt + 300);
    assertThat(poll(one, productId, gone, 200).getString("state")).isEqualTo("EXPIRED");
    assertThat(line(productId)).doesNotContain(gone.ticket);
    JsonObject stats = stats(productId).getJsonObject("queue");
    assertThat(stats.getLong("expired")).isEqualTo(1);
    assertThat(stats.getLong("joined")).isEqualTo(5);
    assertThat(stats.getLong("waiting") + stats.getLong("admitted")).isEqualTo(4);
    // The expired place held nobody up: the first admission went to one of those still there.
    assertThat(stay.stream().map(s -> poll(two, productId, s, 200).getString("state")))
        .contains("ADMITTED");
    // Joining again: a new ticket, at the back.
    JsonObject again = join(one, productId, gone, 202);
    assertThat(again.getString("ticket")).isNotEqualTo(gone.ticket);
    assertThat(again.getString("state")).isEqualTo("WAITING");
    assertThat(line(productId)).endsWith(again.getString("ticket"));
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void anAdmissionNotUsedInTimeExpiresAndTheLineMovesOn() {
    long productId = product(100, System.currentTimeMillis() - 1_000, 1, 600);
    List<Shopper> shoppers = shoppers(2);
    Shopper noShow = shoppers.get(0);
    noShow.ticket = join(one, productId, noShow, 202).getString("ticket");
    shoppers.get(1).ticket = join(two, productId, shoppers.get(1), 202).getString("ticket");
    String admission = awaitAdmission(one, productId, noShow);
    long admittedAt = System.currentTimeMillis();
    // The admission unused holds nobody up: the next one is admitted at the rate meanwhile.
    awaitAdmission(two, productId, shoppers.get(1));
    assertThat(System.currentTimeMillis()).isLessThan(admittedAt + ADMISSION_TTL_S * 1000);
    until(
        () -> "EXPIRED".equals(poll(two, productId, noShow, 200).getString("state")),
        (ADMISSION_TTL_S + 2) * 1000);
    assertThat(errorOf(purchase(one, productId, noShow, admission))).isEqualTo(403);
    until(() -> stats(productId).getJsonObject("queue").getLong("expired") >= 1, 5_000);
    assertThat(stats(productId).getLong("attempts")).isZero();
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void purchasesBehindARoomNeedTheBuyersOwnUnusedAdmissionForThisProduct() {
    long later = System.currentTimeMillis() + 3_600_000;
    long notOpen = product(100, later, 1, 600);
    List<Shopper> shoppers = shoppers(3);
    Shopper buyer = shoppers.get(0);
    // No admission: 403 before anything else, also before dropAt.
    assertThat(errorOf(purchase(one, notOpen, buyer, null))).isEqualTo(403);
    long productId = product(100, System.currentTimeMillis() - 1_000, 1000, 600);
    long other = product(100, System.currentTimeMillis() - 1_000, 1000, 600);
    buyer.ticket = join(one, productId, buyer, 202).getString("ticket");
    String admission = awaitAdmission(two, productId, buyer);
    AdmissionTokens tokens = new AdmissionTokens(TestServer.JWT_SECRET);
    String forged =
        admission.substring(0, admission.length() - 2) + (admission.endsWith("AA") ? "BB" : "AA");
    String expired =
        tokens.issue(productId, buyer.userId, buyer.ticket, System.currentTimeMillis() - 1);
    String otherSecret =
        new AdmissionTokens("another-secret")
            .issue(productId, buyer.userId, buyer.ticket, System.currentTimeMillis() + 60_000);
    assertThat(errorOf(purchase(one, productId, buyer, null))).isEqualTo(403);
    assertThat(errorOf(purchase(one, productId, buyer, forged))).isEqualTo(403);
    assertThat(errorOf(purchase(one, productId, buyer, expired))).isEqualTo(403);
    assertThat(errorOf(purchase(one, productId, buyer, otherSecret))).isEqualTo(403);
    assertThat(errorOf(purchase(one, productId, buyer, "garbage"))).isEqualTo(403);
    assertThat(errorOf(purchase(two, productId, shoppers.get(1), admission)))
        .as("another user")
        .isEqualTo(403);
    assertThat(errorOf(purchase(two, other, buyer, admission)))
        .as("another product")
        .isEqualTo(403);
    assertThat(stats(productId).getLong("attempts"))
        .as("no refused attempt reached the stock")
        .isZero();

    HttpResponse<Buffer> bought = purchase(two, productId, buyer, admission);
    assertThat(bought.statusCode()).isEqualTo(202);
    assertThat(errorOf(purchase(one, productId, buyer, admission))).as("used").isEqualTo(403);
    assertThat(stats(productId).getLong("attempts")).isEqualTo(1);
    // A product without a room takes no admission and has no queue.
    long plain = App.await(one.createProduct("COMMON", 10, 5));
    assertThat(purchase(one, plain, shoppers.get(2), null).statusCode()).isEqualTo(202);
    assertThat(join(one, plain, shoppers.get(2), 404).getString("error")).isEqualTo("NOT_FOUND");
    assertThat(stats(plain).containsKey("queue")).isFalse();
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void whenTheLastUnitIsSoldEveryTicketInLineTurnsSoldOut() {
    long dropAt = System.currentTimeMillis() + 3_000;
    long productId = product(1, dropAt, 1, 600);
    List<Shopper> shoppers = shoppers(8);
    for (int i = 0; i < shoppers.size(); i++) {
      shoppers.get(i).ticket = join(server(i), productId, shoppers.get(i), 202).getString("ticket");
    }
    keepAlive(productId, shoppers, () -> System.currentTimeMillis() > dropAt + 200);
    Shopper first = null;
    for (Shopper shopper : shoppers) {
      JsonObject seen = poll(one, productId, shopper, 200);
      if ("ADMITTED".equals(seen.getString("state"))) {
        first = shopper;
        assertThat(purchase(two, productId, shopper, seen.getString("admission")).statusCode())
            .isEqualTo(202);
        break;
      }
    }
    assertThat(first).as("someone was admitted at dropAt").isNotNull();
    Shopper buyer = first;
    // Everyone still in line turns SOLD_OUT within seconds; someone admitted meanwhile finds the
    // unit gone.
    until(
        () ->
            shoppers.stream()
                .filter(s -> s != buyer)
                .noneMatch(s -> "WAITING".equals(poll(two, productId, s, 200).getString("state"))),
        5_000);
    long soldOut = 0;
    for (Shopper shopper : shoppers) {
      JsonObject seen = poll(one, productId, shopper, 200);
      if ("SOLD_OUT".equals(seen.getString("state"))) {
        soldOut++;
      } else if (shopper != buyer) {
        assertThat(seen.getString("state")).isIn("ADMITTED", "EXPIRED");
      }
    }
    assertThat(soldOut).isGreaterThanOrEqualTo(shoppers.size() - 3);
    assertThat(poll(one, productId, buyer, 200).getString("state")).isEqualTo("ADMITTED");
    assertThat(line(productId)).isEmpty();
    assertThat(stats(productId).getJsonObject("queue").getLong("waiting")).isZero();
    Shopper late = shoppers(1).get(0);
    assertThat(join(one, productId, late, 409).getString("error")).isEqualTo("SOLD_OUT");
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void concurrentJoinsOfOneUserGetOneTicketAndOthersTicketsAreNotFound() {
    long productId = product(100, System.currentTimeMillis() + 60_000, 1, 600);
    List<Shopper> shoppers = shoppers(2);
    Shopper shopper = shoppers.get(0);
    List<Future<HttpResponse<Buffer>>> joins = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      joins.add(
          server(i)
              .http()
              .post("/api/products/" + productId + "/queue")
              .bearerTokenAuthentication(shopper.token)
              .send());
    }
    App.await(Future.all(joins));
    Set<String> tickets = new HashSet<>();
    joins.forEach(j -> tickets.add(j.result().bodyAsJsonObject().getString("ticket")));
    assertThat(tickets).hasSize(1);
    shopper.ticket = tickets.iterator().next();
    Shopper stranger = shoppers.get(1);
    stranger.ticket = shopper.ticket;
    assertThat(poll(one, productId, stranger, 404).getString("error")).isEqualTo("NOT_FOUND");
    stranger.ticket = "999999999";
    assertThat(poll(one, productId, stranger, 404).getString("error")).isEqualTo("NOT_FOUND");
    stranger.ticket = "not-a-ticket";
    assertThat(poll(one, productId, stranger, 404).getString("error")).isEqualTo("NOT_FOUND");
    assertThat(stats(productId).getJsonObject("queue").getLong("joined")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 1, unit = TimeUnit.MINUTES)
  void theRoomOpensOpensSecondsBeforeDropAt() {
    long dropAt = System.currentTimeMillis() + 3_600_000;
    long productId = product(100, dropAt, 1, 60);
    JsonObject refused = join(one, productId, shoppers(1).get(0), 409);
    assertThat(refused.getString("error")).isEqualTo("QUEUE_NOT_OPEN");
    assertThat(refused.getString("opensAt"))
        .isEqualTo(Instant.ofEpochMilli(dropAt - 60_000).toString());
    JsonObject shown =
        App.await(one.http().get("/api/products/" + productId).send()).bodyAsJsonObject();
    assertThat(shown.getJsonObject("waitingRoom").getMap())
        .containsEntry("admitPerSecond", 1)
        .containsEntry("opensSecondsBefore", 60)
        .containsEntry("opensAt", Instant.ofEpochMilli(dropAt - 60_000).toString());
  }

  // --- helpers ---

  private static final class Shopper {
    final long userId;
    final String token;
    String ticket;

    Shopper(long userId, String token) {
      this.userId = userId;
      this.token = token;
    }
  }

  private static TestServer server(int i) {
    return i % 2 == 0 ? one : two;
  }

  private static long product(long stock, long dropAt, long rate, long opensBefore) {
    return App.await(
        one.createProduct(
            new JsonObject()
                .put("name", "room")
                .put("price", 10)
                .put("stock", stock)
                .put("grade", "COMMON")
                .put("dropAt", Instant.ofEpochMilli(dropAt).toString())
                .put(
                    "waitingRoom",
                    new JsonObject()
                        .put("admitPerSecond", rate)
                        .put("opensSecondsBefore", opensBefore))));
  }

  private static List<Shopper> shoppers(int count) {
    List<Shopper> shoppers = new ArrayList<>();
    for (long id : App.await(one.createUsers(count, 1_000))) {
      shoppers.add(new Shopper(id, one.token(id)));
    }
    return shoppers;
  }

  private static JsonObject join(TestServer server, long productId, Shopper shopper, int status) {
    HttpResponse<Buffer> response =
        App.await(
            server
                .http()
                .post("/api/products/" + productId + "/queue")
                .bearerTokenAuthentication(shopper.token)
                .send());
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    return response.bodyAsJsonObject();
  }

  private static JsonObject poll(TestServer server, long productId, Shopper shopper, int status) {
    HttpResponse<Buffer> response =
        App.await(
            server
                .http()
                .get("/api/products/" + productId + "/queue/" + shopper.ticket)
                .bearerTokenAuthentication(shopper.token)
                .send());
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    return response.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> purchase(
      TestServer server, long productId, Shopper shopper, String admission) {
    var request =
        server
            .http()
            .post("/api/products/" + productId + "/purchase")
            .bearerTokenAuthentication(shopper.token);
    if (admission != null) {
      request.putHeader(AdmissionTokens.HEADER, admission);
    }
    // With an address, so the saga completes the order (these users have none of their own).
    return App.await(
        request.sendJsonObject(new JsonObject().put("shippingAddress", "1 Test Street")));
  }

  /** The status of a refused purchase, whose body must then be NOT_ADMITTED. */
  private static int errorOf(HttpResponse<Buffer> response) {
    assertThat(response.bodyAsJsonObject().getString("error"))
        .as(response.bodyAsString())
        .isEqualTo("NOT_ADMITTED");
    return response.statusCode();
  }

  private static String awaitAdmission(TestServer server, long productId, Shopper shopper) {
    long until = System.currentTimeMillis() + 10_000;
    while (System.currentTimeMillis() < until) {
      JsonObject seen = poll(server, productId, shopper, 200);
      if ("ADMITTED".equals(seen.getString("state"))) {
        return seen.getString("admission");
      }
      sleep(100);
    }
    throw new AssertionError("not admitted within 10 s");
  }

  private static JsonObject stats(long productId) {
    String admin = App.await(one.adminToken());
    return App.await(
            one.http()
                .get("/api/admin/products/" + productId + "/stats")
                .bearerTokenAuthentication(admin)
                .send())
        .bodyAsJsonObject();
  }

  /**
   * Polls every shopper's ticket about once a second, as a waiting shopper's page would, until
   * {@code done}.
   */
  private static void keepAlive(long productId, List<Shopper> shoppers, BooleanSupplier done) {
    keepAlive(productId, shoppers, done, 60_000);
  }

  private static void keepAlive(
      long productId, List<Shopper> shoppers, BooleanSupplier done, long atMostMs) {
    long until = System.currentTimeMillis() + atMostMs;
    while (!done.getAsBoolean() && System.currentTimeMillis() < until) {
      for (int i = 0; i < shoppers.size(); i++) {
        poll(server(i), productId, shoppers.get(i), 200);
      }
      sleep(700);
    }
  }

  private static List<String> line(long productId) {
    List<String> tickets = new ArrayList<>();
    App.await(
            one.redis()
                .send(Request.cmd(Command.ZRANGE).arg(RoomKeys.line(productId)).arg(0).arg(-1)))
        .forEach(r -> tickets.add(r.toString()));
    return tickets;
  }

  private static Map<String, String> hash(String key) {
    Response hash = App.await(one.redis().send(Request.cmd(Command.HGETALL).arg(key)));
    Map<String, String> out = new HashMap<>();
    for (String field : hash.getKeys()) {
      out.put(field, hash.get(field).toString());
    }
    return out;
  }

  private static void until(BooleanSupplier condition, long withinMs) {
    long until = System.currentTimeMillis() + withinMs;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > until) {
        throw new AssertionError("condition not met within " + withinMs + " ms");
      }
      sleep(100);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
