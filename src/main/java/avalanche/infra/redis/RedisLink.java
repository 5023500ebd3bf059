package avalanche.infra.redis;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * One long-lived, pipelined Redis connection owned by one verticle instance (so used from one event
 * loop). Requests are written back to back without waiting for answers; a broken connection is
 * replaced on the next request. This avoids a pool checkout per attempt on the hot path.
 */
public final class RedisLink {
  private final Redis client;
  private Future<RedisConnection> connection;

  public RedisLink(Redis client) {
    this.client = client;
  }

  public Future<Response> send(Request request) {
    return connection().compose(c -> c.send(request));
  }

  private Future<RedisConnection> connection() {
    if (connection == null || connection.failed()) {
      Promise<RedisConnection> promise = Promise.promise();
      connection = promise.future();
      client
          .connect()
          .onComplete(
              ar -> {
                if (ar.succeeded()) {
                  RedisConnection c = ar.result();
                  c.exceptionHandler(e -> drop(promise.future()));
                  c.endHandler(v -> drop(promise.future()));
                }
                promise.handle(ar);
              });
    }
    return connection;
  }

  private void drop(Future<RedisConnection> broken) {
    if (connection == broken) {
      connection = null;
    }
  }

  public Future<Void> close() {
    Future<RedisConnection> current = connection;
    connection = null;
    return current == null
        ? Future.succeededFuture()
        : current.compose(RedisConnection::close).otherwiseEmpty().mapEmpty();
  }
}
