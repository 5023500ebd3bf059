package avalanche.saga;

import static avalanche.App.await;
import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.verticles.PointVerticle;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Admission under overload: with the point participant away, sagas stay open; once {@code
 * saga.maxOpen} of them are, new orders wait in {@code order.requested} (no row, no timer running)
 * instead of being started, and when the participant comes back every order, those that waited too,
 * completes.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class SagaAdmissionTest {
  private static final int MAX_OPEN = 10;
  private static final int WAITING = 20;

  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject()
              .put(
                  "saga",
                  new JsonObject()
                      .put("maxOpen", MAX_OPEN)
                      .put("admissionCheckMs", 50)
                      .put("timeoutSeconds", 120))
              .put("verticles", new JsonObject().put("point", 0)));

  private static final SagaTests saga = new SagaTests(server);

  @Test
  void theGateClosesAtTheBoundAndReopensBelowThreeQuarters() {
    assertThat(SagaAdmission.closedAfter(false, MAX_OPEN - 1, MAX_OPEN)).isFalse();
    assertThat(SagaAdmission.closedAfter(false, MAX_OPEN, MAX_OPEN)).isTrue();
    assertThat(SagaAdmission.closedAfter(true, 8, MAX_OPEN)).isTrue();
    assertThat(SagaAdmission.closedAfter(true, 7, MAX_OPEN)).isFalse();
    assertThat(SagaAdmission.closedAfter(true, 0, 1)).isFalse();
    assertThat(SagaAdmission.closedAfter(true, 1, 1)).isTrue();
  }

  @Test
  void ordersPastTheBoundWaitInKafkaAndAllCompleteOnceSagasClose() {
    long productId = await(server.createProduct("COMMON", 100, 100));
    List<Long> users = await(server.createUsers(MAX_OPEN + WAITING, 1_000));
    List<Long> first = users.subList(0, MAX_OPEN);
    List<Long> later = users.subList(MAX_OPEN, users.size());
    drainEarlierSagas();

    await(buy(productId, first));
    await(
        Eventually.eventually(server.vertx(), 20_000, () -> stored(productId), n -> n == MAX_OPEN));
    // Twenty checks: the gate has seen the ten open sagas.
    await(server.vertx().timer(1_000));
    List<String> waiting = await(buy(productId, later));
    await(server.vertx().timer(2_000));

    assertThat(await(stored(productId))).as("orders started past the bound").isEqualTo(MAX_OPEN);
    assertThat(await(saga.order(waiting.get(0), later.get(0))).getString("status"))
        .isEqualTo("PENDING");

    String points = await(pointParticipant());
    try {
      await(
          Eventually.eventually(
              server.vertx(),
              90_000,
              () -> saga.completedOrders(productId),
              n -> n == MAX_OPEN + WAITING));
      JsonObject stats =
          await(
              Eventually.eventually(
                  server.vertx(),
                  10_000,
                  () -> saga.stock(productId),
                  s -> s.getLong("reserved") == 0));

      assertThat(stats.getLong("sold")).isEqualTo(MAX_OPEN + WAITING);
      assertThat(stats.getLong("available")).isEqualTo(100 - MAX_OPEN - WAITING);
    } finally {
      await(server.vertx().undeploy(points));
    }
  }

  /**
   * The bound counts every open saga in the shared PostgreSQL, earlier test classes' too: a point
   * participant runs until they have all ended, then goes, so the open sagas from here on are this
   * test's.
   */
  private static void drainEarlierSagas() {
    String points = await(pointParticipant());
    try {
      await(Eventually.eventually(server.vertx(), 60_000, () -> openSagas(), open -> open == 0));
    } finally {
      await(server.vertx().undeploy(points));
    }
  }

  private static Future<String> pointParticipant() {
    return saga.deploy(PointVerticle::new);
  }

  /** One purchase per user, all at once; the order ids in the users' order. */
  private static Future<List<String>> buy(long productId, List<Long> users) {
    return Future.all(
            users.stream().map(user -> saga.reserve(productId, user, SagaTests.ADDRESS)).toList())
        .map(all -> all.<String>list());
  }

  /** Orders of the product the coordinator has stored (started). */
  private static Future<Long> stored(long productId) {
    return saga.count("SELECT count(*) FROM orders WHERE product_id = $1", productId);
  }

  /** Sagas still open in the whole database. */
  private static Future<Long> openSagas() {
    return saga.count("SELECT count(*) FROM orders WHERE saga_due_at IS NOT NULL");
  }
}
