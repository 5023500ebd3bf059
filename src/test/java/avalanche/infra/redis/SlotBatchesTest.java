package avalanche.infra.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.RequestImpl;
import io.vertx.redis.client.impl.types.BulkType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How a batch is split for a Redis Cluster: one batch per slot, answers back in request order (pure
 * logic).
 */
class SlotBatchesTest {
  @Test
  void aBatchOverManySlotsGoesAsOneBatchPerSlotAndAnswersInRequestOrder() {
    List<Request> requests = new ArrayList<>();
    for (String key :
        List.of("{p:1}", "{p:2}", "{p:1}:buyers", "{p:3}", "{p:2}:deadlines", "{p:1}:outbox")) {
      requests.add(Request.cmd(Command.GET).arg(key));
    }
    List<List<String>> sent = new ArrayList<>();
    List<Response> answers =
        SlotBatches.split(
                requests,
                batch -> {
                  List<String> keys = batch.stream().map(SlotBatchesTest::key).toList();
                  sent.add(keys);
                  // Each "node" answers with the key it was asked for, so the order of the answers
                  // can be checked.
                  return Future.succeededFuture(
                      keys.stream()
                          .map(
                              k ->
                                  (Response)
                                      BulkType.create(io.vertx.core.buffer.Buffer.buffer(k), false))
                          .toList());
                })
            .result();

    assertThat(sent)
        .containsExactly(
            List.of("{p:1}", "{p:1}:buyers", "{p:1}:outbox"),
            List.of("{p:2}", "{p:2}:deadlines"),
            List.of("{p:3}"));
    assertThat(answers)
        .extracting(Response::toString)
        .containsExactly(
            "{p:1}", "{p:2}", "{p:1}:buyers", "{p:3}", "{p:2}:deadlines", "{p:1}:outbox");
  }

  @Test
  void aBatchWithinOneSlotGoesAsItIs() {
    List<Request> requests =
        List.of(
            Request.cmd(Command.GET).arg("{p:9}"),
            Request.cmd(Command.HGET).arg("{p:9}:buyers").arg("u"));
    List<List<Request>> sent = new ArrayList<>();
    SlotBatches.split(
        requests,
        batch -> {
          sent.add(batch);
          return Future.succeededFuture(new ArrayList<>());
        });
    assertThat(sent).containsExactly(requests);
  }

  private static String key(Request request) {
    return new String(((RequestImpl) request).keys().get(0), StandardCharsets.UTF_8);
  }
}
