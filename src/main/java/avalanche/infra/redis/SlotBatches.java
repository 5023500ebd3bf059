package avalanche.infra.redis;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.RequestImpl;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Redis Cluster runs a pipelined batch on one node only (the client refuses one whose keys live on
 * several), while our batches read or act on many products at once (sweeps, syncs, the relay). In
 * cluster mode every batch is split by hash slot: each slot's requests go as one pipelined batch to
 * their node, all slots at once, and the answers come back in the order of the requests. A batch
 * within one slot goes as it is.
 */
public final class SlotBatches {
  private SlotBatches() {}

  /** {@code client}, with batches split by slot (also on the connections it opens). */
  public static Redis of(Redis client) {
    return new Redis() {
      @Override
      public Future<RedisConnection> connect() {
        return client.connect().map(SlotBatches::of);
      }

      @Override
      public Future<Void> close() {
        return client.close();
      }

      @Override
      public Future<Response> send(Request command) {
        return client.send(command);
      }

      @Override
      public Future<List<Response>> batch(List<Request> commands) {
        return split(commands, client::batch);
      }
    };
  }

  private static RedisConnection of(RedisConnection connection) {
    return new RedisConnection() {
      @Override
      public RedisConnection exceptionHandler(Handler<Throwable> handler) {
        connection.exceptionHandler(handler);
        return this;
      }

      @Override
      public RedisConnection handler(Handler<Response> handler) {
        connection.handler(handler);
        return this;
      }

      @Override
      public RedisConnection pause() {
        connection.pause();
        return this;
      }

      @Override
      public RedisConnection resume() {
        connection.resume();
        return this;
      }

      @Override
      public RedisConnection fetch(long amount) {
        connection.fetch(amount);
        return this;
      }

      @Override
      public RedisConnection endHandler(Handler<Void> endHandler) {
        connection.endHandler(endHandler);
        return this;
      }

      @Override
      public Future<Response> send(Request command) {
        return connection.send(command);
      }

      @Override
      public Future<List<Response>> batch(List<Request> commands) {
        return split(commands, connection::batch);
      }

      @Override
      public Future<Void> close() {
        return connection.close();
      }

      @Override
      public boolean pendingQueueFull() {
        return connection.pendingQueueFull();
      }
    };
  }

  static Future<List<Response>> split(
      List<Request> requests, Function<List<Request>, Future<List<Response>>> batch) {
    Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
    for (int i = 0; i < requests.size(); i++) {
      bySlot.computeIfAbsent(slot(requests.get(i)), s -> new ArrayList<>()).add(i);
    }
    if (bySlot.size() <= 1) {
      return batch.apply(requests);
    }
    List<List<Integer>> groups = new ArrayList<>(bySlot.values());
    List<Future<List<Response>>> answers = new ArrayList<>(groups.size());
    for (List<Integer> group : groups) {
      List<Request> part = new ArrayList<>(group.size());
      group.forEach(i -> part.add(requests.get(i)));
      answers.add(batch.apply(part));
    }
    return Future.all(answers)
        .map(
            all -> {
              Response[] ordered = new Response[requests.size()];
              for (int g = 0; g < groups.size(); g++) {
                List<Response> got = answers.get(g).result();
                List<Integer> group = groups.get(g);
                for (int k = 0; k < group.size(); k++) {
                  ordered[group.get(k)] = got.get(k);
                }
              }
              return Arrays.asList(ordered);
            });
  }

  /**
   * The slot of a request's first key (the client's own key table; our multi-key requests keep
   * their keys in one slot), or -1 for a request without keys, which may run on any node.
   */
  private static int slot(Request request) {
    List<byte[]> keys = ((RequestImpl) request).keys();
    return keys.isEmpty() ? -1 : HashSlots.of(keys.get(0));
  }
}
