package avalanche.waitingroom;

/**
 * Fields of the product hash that belong to its waiting room: its settings and its running totals.
 */
public final class RoomFields {
  /** admitPerSecond; its presence puts the product behind a room (reserve.lua reads it). */
  public static final String ADMIT_PER_SECOND = "room";

  public static final String OPENS_SECONDS_BEFORE = "roomOpens";
  public static final String JOINED = "qJoined";
  public static final String WAITING = "qWaiting";
  public static final String ADMITTED = "qAdmitted";
  public static final String EXPIRED = "qExpired";

  private RoomFields() {}
}
