package avalanche.infra.config;

/**
 * {@code verticles}: instances of each scaled verticle in this process; 0 leaves that part to other
 * processes.
 */
public record VerticleCounts(
    int sagaCoordinator,
    int point,
    int shipping,
    int stockParticipant,
    int outboxRelay,
    int waitingRoom) {

  static VerticleCounts from(ConfigNode verticles) {
    return new VerticleCounts(
        verticles.nonNegativeInt("sagaCoordinator"),
        verticles.nonNegativeInt("point"),
        verticles.nonNegativeInt("shipping"),
        verticles.nonNegativeInt("stockParticipant"),
        verticles.nonNegativeInt("outboxRelay"),
        verticles.nonNegativeInt("waitingRoom"));
  }
}
