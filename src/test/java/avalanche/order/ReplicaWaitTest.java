package avalanche.order;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code drop.waitReplicas}: a win waits for that many replicas to have the order (WAIT) before the
 * 202. The test JVM's Redis has no replica, so the wait runs out (drop.waitTimeoutMs) and the
 * shopper still gets the 202: the order is on the primary, as without the option, and the short
 * wait is counted.
 */
@ExtendWith(VertxExtension.class)
class ReplicaWaitTest {
  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject()
              .put("drop", new JsonObject().put("waitReplicas", 1).put("waitTimeoutMs", 200))
              .put("verticles", new JsonObject().put("outboxRelay", 0)));

  @Test
  void aWinWaitsForTheReplicasThenAnswers202(VertxTestContext test) {
    server
        .createProduct("COMMON", 10, 5)
        .compose(
            productId ->
                server
                    .createUsers(1, 100)
                    .compose(
                        users -> {
                          long started = System.currentTimeMillis();
                          return server
                              .http()
                              .post("/api/products/" + productId + "/purchase")
                              .bearerTokenAuthentication(server.token(users.get(0)))
                              .send()
                              .compose(
                                  bought -> {
                                    long tookMs = System.currentTimeMillis() - started;
                                    return server
                                        .http()
                                        .get("/metrics")
                                        .send()
                                        .map(
                                            metrics -> {
                                              test.verify(
                                                  () -> {
                                                    assertThat(bought.statusCode()).isEqualTo(202);
                                                    assertThat(tookMs)
                                                        .as(
                                                            "waited for the replica that never came")
                                                        .isGreaterThanOrEqualTo(200);
                                                    assertThat(metrics.bodyAsString())
                                                        .contains(
                                                            "avalanche_drop_replica_wait_short_total 1.0");
                                                  });
                                              return metrics;
                                            });
                                  });
                        }))
        .onComplete(test.succeedingThenComplete());
  }
}
