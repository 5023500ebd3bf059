package avalanche.faults;

import avalanche.infra.embedded.FreePorts;
import avalanche.infra.redis.HashSlots;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A Redis Cluster of 3 masters + 3 replicas: six {@code redis-server} processes (the system's
 * binary, 7.x, in cluster mode, append-only file with {@code appendfsync always}), formed with
 * {@code redis-cli --cluster create --cluster-replicas 1}. A node timeout of 2 s lets a replica
 * take over a killed master within seconds; as in docker-compose.yml, full coverage is not
 * required, so the other masters serve on (the whole cluster would otherwise answer CLUSTERDOWN
 * until the failover, which the client retries for seconds).
 */
final class RedisClusterNodes {
  static final int NODES = 6;
  static final int NODE_TIMEOUT_MS = 2_000;

  private final Sandbox sandbox;
  final List<Integer> ports = new ArrayList<>();
  private final Process[] processes = new Process[NODES];

  RedisClusterNodes(Sandbox sandbox) {
    this.sandbox = sandbox;
    for (int i = 0; i < NODES; i++) {
      ports.add(FreePorts.pick());
    }
  }

  /** Whether {@code redis-server} and {@code redis-cli} are on the PATH (.ci/run installs them). */
  static boolean available() {
    return onPath("redis-server") && onPath("redis-cli");
  }

  private static boolean onPath(String binary) {
    try {
      return new ProcessBuilder("sh", "-c", "command -v " + binary).start().waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Every node as a seed for {@code AVALANCHE_REDIS_URL}: the client learns the slot map from any
   * live one.
   */
  String url() {
    return ports.stream().map(p -> "redis://127.0.0.1:" + p).collect(Collectors.joining(","));
  }

  void start() {
    for (int i = 0; i < NODES; i++) {
      startNode(i);
    }
    List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
    ports.forEach(p -> command.add("127.0.0.1:" + p));
    command.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
    run(command);
    awaitHealthy(60_000);
  }

  private void startNode(int i) {
    int port = ports.get(i);
    Path dir = sandbox.subdir("redis-cluster-" + port);
    processes[i] =
        sandbox.start(
            new ProcessBuilder(
                    List.of(
                        "redis-server",
                        "--bind",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--dir",
                        dir.toString(),
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        dir.resolve("nodes.conf").toString(),
                        "--cluster-node-timeout",
                        Integer.toString(NODE_TIMEOUT_MS),
                        "--cluster-require-full-coverage",
                        "no",
                        "--appendonly",
                        "yes",
                        "--appendfsync",
                        "always",
                        "--save",
                        "",
                        "--maxmemory-policy",
                        "noeviction",
                        "--daemonize",
                        "no"))
                .redirectErrorStream(true)
                .redirectOutput(
                    ProcessBuilder.Redirect.appendTo(
                        sandbox.logs.resolve("redis-" + port + ".log").toFile())));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try {
        if ("PONG".equals(Resp.call(port, "PING"))) {
          return;
        }
      } catch (RuntimeException notYet) {
        // refused until it listens
      }
      Sandbox.sleep(50);
    }
    throw new IllegalStateException("redis-server :" + port + " not answering PING");
  }

  /**
   * Until every slot is served, by a master that has a live replica, as every live node sees it.
   */
  void awaitHealthy(long limitMs) {
    long deadline = System.currentTimeMillis() + limitMs;
    String last = "";
    while (System.currentTimeMillis() < deadline) {
      try {
        List<String> nodes = nodesLines(anyLive());
        long masters =
            nodes.stream()
                .filter(l -> l.contains("master") && !l.contains("fail") && l.split(" ").length > 8)
                .count();
        long replicas =
            nodes.stream().filter(l -> l.contains("slave") && !l.contains("fail")).count();
        last =
            "state "
                + Resp.call(anyLive(), "CLUSTER", "INFO").toString().lines().findFirst().orElse("")
                + ", "
                + masters
                + " masters, "
                + replicas
                + " replicas";
        if (last.contains("cluster_state:ok") && masters == 3 && replicas == aliveCount() - 3) {
          return;
        }
      } catch (RuntimeException notYet) {
        last = notYet.getMessage();
      }
      Sandbox.sleep(200);
    }
    throw new IllegalStateException("Redis Cluster not healthy after " + limitMs + " ms: " + last);
  }

  /** The port of the master serving {@code key}'s slot now. */
  int masterOf(String key) {
    int slot = HashSlots.of(key);
    for (String line : nodesLines(anyLive())) {
      String[] f = line.split(" ");
      if (!f[2].contains("master") || f[2].contains("fail")) {
        continue;
      }
      for (int i = 8; i < f.length; i++) {
        String[] range = f[i].split("-");
        if (range[0].startsWith("[")) {
          continue;
        }
        int from = Integer.parseInt(range[0]);
        int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
        if (slot >= from && slot <= to) {
          return Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@')));
        }
      }
    }
    throw new IllegalStateException("no master serves slot " + slot);
  }

  /**
   * Moves the slot of {@code key} to another master the way {@code redis-cli --cluster reshard}
   * does (IMPORTING / MIGRATING, MIGRATE key by key, then SETSLOT NODE on every master), slowly
   * ({@code pauseMs} after each key), so requests meet the slot half moved: ASK redirections for
   * keys already gone, TRYAGAIN for a script whose keys are split, MOVED once it is done. Returns
   * the port of the master that serves it now.
   */
  int migrateSlotOf(String key, long pauseMs) {
    int slot = HashSlots.of(key);
    int from = masterOf(key);
    int to = masters().stream().filter(p -> p != from).findFirst().orElseThrow();
    String fromId = Resp.call(from, "CLUSTER", "MYID").toString();
    String toId = Resp.call(to, "CLUSTER", "MYID").toString();
    String s = Integer.toString(slot);
    Resp.call(to, "CLUSTER", "SETSLOT", s, "IMPORTING", fromId);
    Resp.call(from, "CLUSTER", "SETSLOT", s, "MIGRATING", toId);
    while (true) {
      Object keys = Resp.call(from, "CLUSTER", "GETKEYSINSLOT", s, "1");
      if (!(keys instanceof List<?> list) || list.isEmpty()) {
        break;
      }
      Resp.call(
          from, "MIGRATE", "127.0.0.1", Integer.toString(to), list.get(0).toString(), "0", "5000");
      Sandbox.sleep(pauseMs);
    }
    for (int master : masters()) {
      Resp.call(master, "CLUSTER", "SETSLOT", s, "NODE", toId);
    }
    return to;
  }

  /** The ports of the live masters. */
  private List<Integer> masters() {
    List<Integer> masters = new ArrayList<>();
    for (String line : nodesLines(anyLive())) {
      String[] f = line.split(" ");
      if (f[2].contains("master") && !f[2].contains("fail")) {
        masters.add(Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@'))));
      }
    }
    return masters;
  }

  synchronized void kill9(int port) {
    Process p = processes[ports.indexOf(port)];
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Restarts dead nodes from their folders (they rejoin, a killed master as a replica); returns
   * their ports.
   */
  synchronized List<Integer> heal() {
    List<Integer> restarted = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      if (!processes[i].isAlive()) {
        startNode(i);
        restarted.add(ports.get(i));
      }
    }
    if (!restarted.isEmpty()) {
      awaitHealthy(60_000);
    }
    return restarted;
  }

  private long aliveCount() {
    return java.util.Arrays.stream(processes).filter(Process::isAlive).count();
  }

  private int anyLive() {
    for (int i = 0; i < NODES; i++) {
      if (processes[i] != null && processes[i].isAlive()) {
        return ports.get(i);
      }
    }
    throw new IllegalStateException("no Redis Cluster node alive");
  }

  private static List<String> nodesLines(int port) {
    return Resp.call(port, "CLUSTER", "NODES")
        .toString()
        .lines()
        .filter(l -> !l.isBlank())
        .toList();
  }

  private void run(List<String> command) {
    try {
      Process p =
          sandbox.start(
              new ProcessBuilder(command)
                  .redirectErrorStream(true)
                  .redirectOutput(
                      ProcessBuilder.Redirect.appendTo(
                          sandbox.logs.resolve("redis-cluster-create.log").toFile())));
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", command)
                + " failed; see "
                + sandbox.logs.resolve("redis-cluster-create.log"));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
