package avalanche.waitingroom;

import avalanche.infra.redis.LuaScript;
import avalanche.infra.redis.RedisLink;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * The admission step of every waiting room ({@code queue_admit.lua}, pipelined, one call per room).
 * Any number of processes may run it at once: the script admits by the clock, so a step run twice
 * admits nobody twice, and the pre-queue is shuffled by whichever step first finds dropAt passed.
 */
public final class Admitter {
  private static final LuaScript ADMIT = LuaScript.load("queue_admit");
  private static final SecureRandom SEEDS = new SecureRandom();

  private final RedisLink redis;
  private final RoomTimes times;
  private final QueueMetrics metrics;

  public Admitter(RedisLink redis, RoomTimes times, QueueMetrics metrics) {
    this.redis = redis;
    this.times = times;
    this.metrics = metrics;
  }

  /** One step over every room; answers how many shoppers it admitted. */
  public Future<Integer> step() {
    return redis
        .send(Request.cmd(Command.ZRANGE).arg(RoomKeys.ROOMS).arg(0).arg(-1))
        .compose(
            rooms -> {
              long now = System.currentTimeMillis();
              List<Long> ids = new ArrayList<>(rooms.size());
              List<Future<Response>> steps = new ArrayList<>(rooms.size());
              for (Response room : rooms) {
                long productId = room.toLong();
                ids.add(productId);
                steps.add(
                    ADMIT.run(
                        redis::send,
                        RoomKeys.admit(productId),
                        List.of(
                            Long.toString(now),
                            Integer.toString(SEEDS.nextInt(Integer.MAX_VALUE)),
                            Long.toString(times.pollTimeoutMs()),
                            Long.toString(times.admissionTtlMs()),
                            Integer.toString(times.maxBatch()),
                            Integer.toString(times.sweepBatch()))));
              }
              return Future.all(steps)
                  .map(
                      done -> {
                        int admitted = 0;
                        for (int i = 0; i < ids.size(); i++) {
                          Response totals = steps.get(i).result();
                          if (totals != null && totals.size() == 4) {
                            metrics.record(
                                ids.get(i),
                                totals.get(0).toLong(),
                                totals.get(1).toLong(),
                                totals.get(2).toLong());
                            admitted += totals.get(3).toInteger();
                          }
                        }
                        return admitted;
                      });
            });
  }
}
