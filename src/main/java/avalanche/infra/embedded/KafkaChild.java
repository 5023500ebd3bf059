package avalanche.infra.embedded;

/**
 * Entry point of the embedded Kafka broker's own JVM. Running the broker in a child process keeps
 * its heap and threads out of the server's, and it halts as soon as its parent is gone so no broker
 * outlives the run.
 */
public final class KafkaChild {
  private KafkaChild() {}

  public static void main(String[] args) {
    long parentPid = Long.parseLong(args[0]);
    String properties = args[1];
    String clusterId = args[2];
    ProcessHandle.of(parentPid)
        .ifPresentOrElse(
            parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(0)),
            () -> Runtime.getRuntime().halt(0));
    int formatted =
        kafka.tools.StorageTool$.MODULE$.execute(
            new String[] {
              "format", "-t", clusterId, "-c", properties, "--standalone", "--ignore-formatted"
            },
            System.out);
    if (formatted != 0) {
      System.exit(formatted);
    }
    kafka.Kafka.main(new String[] {properties});
  }
}
