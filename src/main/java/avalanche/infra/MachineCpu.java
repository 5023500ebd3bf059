package avalanche.infra;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;

/**
 * The share of this machine's CPU (0 to 1; of the container's, in one with a CPU limit) used since
 * the previous reading, from the JVM's operating-system bean. It reads {@code /proc}, so it runs on
 * a worker thread, never on an event loop.
 */
public final class MachineCpu {
  private static final com.sun.management.OperatingSystemMXBean OS =
      ManagementFactory.getOperatingSystemMXBean()
              instanceof com.sun.management.OperatingSystemMXBean os
          ? os
          : null;

  private MachineCpu() {}

  /** The share used since the previous reading; negative when the platform does not tell. */
  public static Future<Double> read(Vertx vertx) {
    if (OS == null) {
      return Future.succeededFuture(-1.0);
    }
    return vertx.executeBlocking(OS::getCpuLoad, false);
  }
}
