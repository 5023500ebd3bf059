package avalanche.order;

import avalanche.infra.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.function.Supplier;

/**
 * Idempotency-Key handling, scoped to the user: the first decided answer is kept in Redis for the
 * configured time (24 h) and replayed; a key still in flight is claimed with SET NX so a concurrent
 * duplicate never makes a second attempt.
 */
public final class IdempotencyStore {
  private static final long CLAIM_SECONDS = 60;

  private final Redis redis;
  private final long ttlSeconds;

  public IdempotencyStore(Redis redis, long ttlSeconds) {
    this.redis = redis;
    this.ttlSeconds = ttlSeconds;
  }

  public static String validKey(String key) {
    if (key == null) {
      return null;
    }
    if (key.isEmpty() || key.length() > 128 || !key.chars().allMatch(c -> c > 32 && c < 127)) {
      throw ApiException.validation("Idempotency-Key must be 1-128 visible ASCII characters");
    }
    return key;
  }

  public Future<Answer> once(
      long userId, String key, long productId, Supplier<Future<Answer>> attempt) {
    String redisKey = "idem:{u:" + userId + "}:" + key;
    String claim = new JsonObject().put("productId", productId).put("pending", true).encode();
    return redis
        .send(
            Request.cmd(Command.SET)
                .arg(redisKey)
                .arg(claim)
                .arg("NX")
                .arg("EX")
                .arg(CLAIM_SECONDS))
        .compose(
            set -> {
              if (set == null) {
                return replay(redisKey, productId);
              }
              return attempt
                  .get()
                  .compose(
                      answer ->
                          (answer.decided()
                                  ? redis.send(
                                      Request.cmd(Command.SET)
                                          .arg(redisKey)
                                          .arg(answer.toJson().put("productId", productId).encode())
                                          .arg("EX")
                                          .arg(ttlSeconds))
                                  : redis.send(Request.cmd(Command.DEL).arg(redisKey)))
                              .map(stored -> answer))
                  .recover(
                      failure ->
                          redis
                              .send(Request.cmd(Command.DEL).arg(redisKey))
                              .transform(ignored -> Future.failedFuture(failure)));
            });
  }

  private Future<Answer> replay(String redisKey, long productId) {
    return redis
        .send(Request.cmd(Command.GET).arg(redisKey))
        .map(
            stored -> {
              if (stored == null) {
                throw new ApiException(
                    409,
                    "IDEMPOTENCY_KEY_IN_USE",
                    "a request with this Idempotency-Key just ended; retry");
              }
              JsonObject json = new JsonObject(stored.toString());
              if (json.getLong("productId") != productId) {
                throw new ApiException(
                    422,
                    "IDEMPOTENCY_KEY_REUSED",
                    "this Idempotency-Key was used for another product");
              }
              if (json.getBoolean("pending", false)) {
                throw new ApiException(
                    409,
                    "IDEMPOTENCY_KEY_IN_USE",
                    "a request with this Idempotency-Key is in progress");
              }
              return Answer.fromJson(json);
            });
  }
}
