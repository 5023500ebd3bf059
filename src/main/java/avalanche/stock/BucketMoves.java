package avalanche.stock;

import avalanche.infra.redis.RedisLink;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finishes moves of units between buckets that an attempt started and did not finish (its process
 * died between bucket_lend.lua and bucket_settle.lua): a move still recorded by its lender after
 * {@code staleMs} is received (once: a repeat answers DUP) and settled. Also forgets, after an
 * hour, which moves a bucket received. Runs in the jobs role; several processes may run it at once.
 */
public final class BucketMoves {
  private static final Logger LOG = LoggerFactory.getLogger(BucketMoves.class);
  private static final long RECEIVED_KEPT_MS = 3_600_000;

  private final Redis redis;
  private final StockScripts scripts;
  private final long staleMs;

  public BucketMoves(Redis redis, long staleMs) {
    this.redis = redis;
    this.scripts = new StockScripts(new RedisLink(redis), 0);
    this.staleMs = staleMs;
  }

  /** One pass over every bucket; answers how many moves it finished. */
  public Future<Integer> run() {
    long now = System.currentTimeMillis();
    return redis
        .send(Request.cmd(Command.ZRANGE).arg(StockKeys.BUCKET_INDEX).arg(0).arg(-1))
        .compose(
            index -> {
              List<String> tags = new ArrayList<>();
              List<Request> reads = new ArrayList<>();
              for (Response tag : index) {
                tags.add(tag.toString());
                reads.add(Request.cmd(Command.HGETALL).arg(StockKeys.lent(tag.toString())));
                reads.add(
                    Request.cmd(Command.ZREMRANGEBYSCORE)
                        .arg(StockKeys.received(tag.toString()))
                        .arg("-inf")
                        .arg(now - RECEIVED_KEPT_MS));
              }
              if (reads.isEmpty()) {
                return Future.succeededFuture(0);
              }
              return redis.batch(reads).compose(answers -> finish(tags, answers, now));
            });
  }

  private Future<Integer> finish(List<String> tags, List<Response> answers, long now) {
    List<Future<Void>> finished = new ArrayList<>();
    for (int i = 0; i < tags.size(); i++) {
      Response lent = answers.get(2 * i);
      String from = tags.get(i);
      for (String moveId : lent.getKeys()) {
        // "toTag toEpoch units createdAt", as bucket_lend.lua records it.
        String[] move = lent.get(moveId).toString().split(" ");
        if (Long.parseLong(move[3]) > now - staleMs) {
          continue;
        }
        finished.add(
            scripts
                .receive(move[0], moveId, Long.parseLong(move[1]), Long.parseLong(move[2]))
                .compose(
                    received -> {
                      LOG.info(
                          "finished move {} of {} unit(s) from {} to {}: {}",
                          moveId,
                          move[2],
                          from,
                          move[0],
                          received);
                      return scripts.settle(from, moveId, received);
                    }));
      }
    }
    return Future.join(finished)
        .transform(
            done ->
                Future.succeededFuture((int) finished.stream().filter(Future::succeeded).count()));
  }
}
