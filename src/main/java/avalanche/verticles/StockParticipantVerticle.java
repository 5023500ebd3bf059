package avalanche.verticles;

import avalanche.infra.Clients;
import avalanche.infra.kafka.Topics;
import avalanche.saga.Participant;
import avalanche.stock.StockParticipant;
import avalanche.stock.StockScripts;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;

/**
 * The stock participant: CHECK_STOCK from {@code stock.commands}. Its compensation goes through the
 * stock verticle's {@code stock.release}, so it runs in a process that deploys a StockVerticle.
 */
public class StockParticipantVerticle extends ParticipantVerticle {
  private Redis redis;

  @Override
  protected String group() {
    return "stock-participant";
  }

  @Override
  protected String topic() {
    return Topics.STOCK_COMMANDS;
  }

  @Override
  protected Participant participant() {
    redis = Clients.redis(vertx, config());
    return new StockParticipant(vertx, redis, StockScripts.reservationTtlMs(config()));
  }

  @Override
  protected Future<?> closeParticipant() {
    return redis.close();
  }
}
