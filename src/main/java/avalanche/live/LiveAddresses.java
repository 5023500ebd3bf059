package avalanche.live;

/** Event-bus address of the live feed (local to a process). */
public final class LiveAddresses {
  /** The feed publishes each snapshot here, once, as a ready server-sent-event frame (a Buffer). */
  public static final String SNAPSHOT = "ops.live.snapshot";

  private LiveAddresses() {}
}
