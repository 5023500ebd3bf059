package avalanche.live;

import io.vertx.core.Future;

import java.util.List;
import java.util.Map;

/**
 * How many shoppers wait in each product's waiting room. The waiting room (branch {@code waitroom}) plugs its
 * reader in here, in {@code LiveFeedVerticle}; a product missing from the answer has no room, and its
 * {@code queueWaiting} is left out of the snapshot.
 */
@FunctionalInterface
public interface QueueWaiting {
  QueueWaiting NONE = productIds -> Future.succeededFuture(Map.of());

  Future<Map<Long, Long>> waiting(List<Long> productIds);
}
