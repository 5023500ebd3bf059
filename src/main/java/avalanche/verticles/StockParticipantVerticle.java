package avalanche.verticles;

import avalanche.infra.Clients;
import avalanche.infra.config.Settings;
import avalanche.infra.kafka.Topics;
import avalanche.infra.redis.RedisLink;
import avalanche.saga.Participant;
import avalanche.stock.StockParticipant;
import avalanche.stock.StockScripts;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;

/**
 * The stock participant: CHECK_STOCK from {@code stock.commands}, its compensation releasing the
 * unit; both run the stock scripts themselves, so it may run in any process.
 */
public class StockParticipantVerticle extends ParticipantVerticle {
  private Redis redis;
  private StockScripts scripts;

  @Override
  protected String group() {
    return "stock-participant";
  }

  @Override
  protected String topic() {
    return Topics.STOCK_COMMANDS;
  }

  @Override
  protected Participant participant(Settings settings) {
    redis = Clients.redis(vertx, settings.redis());
    long ttlMs = settings.drop().reservationTtlMs();
    scripts = new StockScripts(new RedisLink(redis), ttlMs);
    return new StockParticipant(redis, scripts, ttlMs);
  }

  @Override
  protected Future<?> closeParticipant() {
    return scripts.close().eventually(redis::close);
  }
}
