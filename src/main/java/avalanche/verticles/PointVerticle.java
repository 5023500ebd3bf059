package avalanche.verticles;

import avalanche.infra.config.Settings;
import avalanche.infra.kafka.Topics;
import avalanche.point.PointParticipant;
import avalanche.saga.Participant;

/** The point participant: APPLY_POINTS from {@code point.commands}. */
public class PointVerticle extends ParticipantVerticle {
  @Override
  protected String group() {
    return "point-participant";
  }

  @Override
  protected String topic() {
    return Topics.POINT_COMMANDS;
  }

  @Override
  protected Participant participant(Settings settings) {
    return new PointParticipant();
  }
}
