package avalanche.waitingroom;

import avalanche.infra.http.ApiException;
import avalanche.infra.redis.LuaScript;
import avalanche.infra.redis.RedisLink;
import avalanche.stock.StockKeys;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.List;

/**
 * Joining a product's waiting room and reading a ticket: one script, one Redis round trip each,
 * over one pipelined connection ({@link RedisLink}); positions are ranks in the line's sorted set,
 * O(log n).
 */
public final class WaitingRoom {
  private static final LuaScript JOIN = LuaScript.load("queue_join");
  private static final LuaScript POLL = LuaScript.load("queue_poll");

  private final RedisLink redis;
  private final AdmissionTokens tokens;
  private final RoomTimes times;

  public WaitingRoom(RedisLink redis, AdmissionTokens tokens, RoomTimes times) {
    this.redis = redis;
    this.tokens = tokens;
    this.times = times;
  }

  public Future<Void> load() {
    return Future.all(redis.send(JOIN.loadRequest()), redis.send(POLL.loadRequest())).mapEmpty();
  }

  /** The user's ticket: a new one, or the one still in line or admitted. */
  public Future<TicketView> join(long productId, long userId) {
    long now = System.currentTimeMillis();
    return JOIN.run(
            redis::send,
            RoomKeys.join(productId),
            List.of(
                Long.toString(userId), Long.toString(now), Long.toString(times.admissionTtlMs())))
        .map(
            answer ->
                switch (answer.get(0).toString()) {
                  case "NOT_FOUND" ->
                      throw ApiException.notFound("this product has no waiting room");
                  case "NOT_OPEN" -> {
                    String opensAt = Instant.ofEpochMilli(answer.get(1).toLong()).toString();
                    throw new ApiException(
                        409,
                        "QUEUE_NOT_OPEN",
                        "the waiting room opens at " + opensAt,
                        new JsonObject().put("opensAt", opensAt));
                  }
                  case "SOLD_OUT" -> throw new ApiException(409, "SOLD_OUT", "no unit left");
                  default ->
                      TicketView.of(answer, productId, userId, now, times.admissionTtlMs(), tokens);
                });
  }

  /** The user's own ticket; another user's, or an unknown one, is 404. */
  public Future<TicketView> poll(long productId, String ticket, long userId) {
    long now = System.currentTimeMillis();
    return POLL.run(
            redis::send,
            RoomKeys.poll(productId),
            List.of(ticket, Long.toString(userId), Long.toString(now)))
        .map(
            answer -> {
              if (answer.size() == 1) {
                throw ApiException.notFound("no such ticket");
              }
              return TicketView.of(answer, productId, userId, now, times.admissionTtlMs(), tokens);
            });
  }

  /**
   * How many tickets of the product are in line now (pre-queue and waiting), or null for a product
   * without a waiting room: one HMGET of the product hash. For the live ops feed's {@code
   * queueWaiting}.
   */
  public static Future<Long> waiting(Redis redis, long productId) {
    return redis
        .send(
            Request.cmd(Command.HMGET)
                .arg(StockKeys.product(productId))
                .arg(RoomFields.ADMIT_PER_SECOND)
                .arg(RoomFields.WAITING))
        .map(
            fields ->
                fields.get(0) == null ? null : fields.get(1) == null ? 0L : fields.get(1).toLong());
  }

  /**
   * The stats' {@code queue}, from the product's live hash; null for a product without a waiting
   * room.
   */
  public static JsonObject stats(Response productHash) {
    if (productHash.get(RoomFields.ADMIT_PER_SECOND) == null) {
      return null;
    }
    return new JsonObject()
        .put("joined", number(productHash, RoomFields.JOINED))
        .put("waiting", number(productHash, RoomFields.WAITING))
        .put("admitted", number(productHash, RoomFields.ADMITTED))
        .put("expired", number(productHash, RoomFields.EXPIRED));
  }

  private static long number(Response hash, String field) {
    Response value = hash.get(field);
    return value == null ? 0 : value.toLong();
  }
}
