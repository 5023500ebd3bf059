package avalanche.stock;

import avalanche.infra.redis.HashSlots;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses the salts of a new product's buckets. On Redis Cluster the buckets go round the masters
 * as the slot map places them (a tag's slot is checked against the map, not assumed): bucket 0 is
 * where the product's own tag lands, bucket 1 on the next master, and so on; a salt is searched
 * upward until its tag's slot is served by the wanted master. On a single Redis the salts are 1, 2,
 * 3...
 */
public final class BucketPlacement {
  /** With three masters one salt in three fits; this bound is never reached in practice. */
  private static final int MAX_TRIES = 100_000;

  private BucketPlacement() {}

  public static Buckets standalone(long productId, int count) {
    List<Integer> salts = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      salts.add(i);
    }
    return new Buckets(productId, salts);
  }

  /** {@code slots}: the answer of {@code CLUSTER SLOTS} (ranges with their master first). */
  public static Buckets cluster(long productId, int count, Response slots) {
    int[] owner = new int[HashSlots.COUNT];
    Map<String, Integer> masters = new HashMap<>();
    for (Response range : slots) {
      Response master = range.get(2);
      String node = master.get(0).toString() + ":" + master.get(1).toInteger();
      int index = masters.computeIfAbsent(node, n -> masters.size());
      for (int slot = range.get(0).toInteger(); slot <= range.get(1).toInteger(); slot++) {
        owner[slot] = index;
      }
    }
    return spread(productId, count, owner, masters.size());
  }

  /** {@code owner[slot]}: the index of the master serving the slot, of {@code masters}. */
  static Buckets spread(long productId, int count, int[] owner, int masters) {
    int first = owner[HashSlots.of(StockKeys.tag(productId))];
    List<Integer> salts = new ArrayList<>(List.of(0));
    int salt = 1;
    for (int bucket = 1; bucket < count; bucket++) {
      int wanted = (first + bucket) % Math.max(masters, 1);
      int tries = 0;
      while (owner[HashSlots.of(StockKeys.tag(productId, salt))] != wanted && tries++ < MAX_TRIES) {
        salt++;
      }
      salts.add(salt++);
    }
    return new Buckets(productId, salts);
  }
}
