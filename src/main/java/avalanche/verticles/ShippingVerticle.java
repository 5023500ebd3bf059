package avalanche.verticles;

import avalanche.infra.config.Settings;
import avalanche.infra.kafka.Topics;
import avalanche.saga.Participant;
import avalanche.shipping.ShippingParticipant;
import avalanche.user.PiiCipher;

/** The shipping participant: PREPARE_SHIPPING from {@code shipping.commands}. */
public class ShippingVerticle extends ParticipantVerticle {
  @Override
  protected String group() {
    return "shipping-participant";
  }

  @Override
  protected String topic() {
    return Topics.SHIPPING_COMMANDS;
  }

  @Override
  protected Participant participant(Settings settings) {
    return new ShippingParticipant(PiiCipher.of(settings));
  }
}
