package avalanche.waitingroom;

/** A ticket's state as the contract names it. */
public enum TicketState {
  PRE_QUEUE,
  WAITING,
  ADMITTED,
  EXPIRED,
  SOLD_OUT
}
