package avalanche.faults;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The purchase stampede: one attempt per shopper, alternating between the processes, at most {@code
 * concurrency} in flight, paced in three phases so the fault lands mid-stampede and the stampede
 * goes on through it:
 *
 * <ol>
 *   <li>the first {@code faultAt} share of the attempts over {@code preMs}; then the fault is
 *       injected (on its own thread);
 *   <li>while the dependency is down, up to {@code duringShare} of the attempts at a pace that
 *       spreads them over the expected outage;
 *   <li>once it is back, the rest over {@code tailMs}.
 * </ol>
 *
 * Every request has a hard timeout ({@link #TIMEOUT_MS}), so a hang shows up as a slow answer or
 * TIMEOUT, never a stuck suite. A refused connection (the process is down) is sent once to the
 * other process, as a load balancer would; any other failure is recorded as it is.
 */
final class Stampede {
  static final long TIMEOUT_MS = 10_000;
  static final long SLOW_MS = 2_000;

  record Plan(double faultAt, long preMs, double duringShare, long expectedFaultMs, long tailMs) {}

  /** One attempt's answer. {@code startMs} is relative to the stampede's start. */
  record Outcome(
      int index,
      String node,
      int status,
      String code,
      String orderId,
      long startMs,
      long latencyMs,
      String error,
      boolean failedOver) {
    String key() {
      if (error != null) {
        return error;
      }
      return code == null ? Integer.toString(status) : status + " " + code;
    }
  }

  /** When the fault broke the dependency and when it was back (epoch ms; 0 = not yet). */
  static final class FaultClock {
    volatile long startedAt;
    volatile long downAt;
    volatile long backAt;
    volatile Throwable failure;

    /**
     * False for a fault during which every dependency stays up and only slows down (a resharding):
     * the contract's "503 within 2 s" is for a dependency that is down; then only no hung request.
     */
    volatile boolean dependencyDown = true;

    final CountDownLatch back = new CountDownLatch(1);

    void down() {
      downAt = System.currentTimeMillis();
    }

    /** The fault starts, and no dependency goes down: Redis stays up, only slower. */
    void slow() {
      dependencyDown = false;
      down();
    }

    void back() {
      backAt = System.currentTimeMillis();
      back.countDown();
    }
  }

  record Result(List<Outcome> outcomes, long startedAt, long endedAt, FaultClock fault) {
    Map<String, Integer> byKey() {
      Map<String, Integer> counts = new TreeMap<>();
      outcomes.forEach(o -> counts.merge(o.key(), 1, Integer::sum));
      return counts;
    }

    long maxLatency() {
      return outcomes.stream().mapToLong(Outcome::latencyMs).max().orElse(0);
    }

    List<Outcome> slow() {
      return outcomes.stream().filter(o -> o.latencyMs() > SLOW_MS).toList();
    }

    List<String> orderIds() {
      return outcomes.stream()
          .filter(o -> o.status() == 202 && o.orderId() != null)
          .map(Outcome::orderId)
          .toList();
    }
  }

  private final Api api;
  private final List<AvalancheNode> nodes;

  Stampede(Api api, List<AvalancheNode> nodes) {
    this.api = api;
    this.nodes = nodes;
  }

  Result run(
      long productId,
      List<Api.User> users,
      int concurrency,
      Plan plan,
      Consumer<FaultClock> fault) {
    int n = users.size();
    int pre = (int) Math.round(n * plan.faultAt());
    int during = fault == null ? 0 : (int) Math.round(n * plan.duringShare());
    AtomicReferenceArray<Outcome> outcomes = new AtomicReferenceArray<>(n);
    Semaphore slots = new Semaphore(concurrency);
    FaultClock clock = new FaultClock();
    long t0 = System.nanoTime();
    long startedAt = System.currentTimeMillis();
    Thread faultThread = null;
    int i = 0;
    // 1. before the fault
    for (; i < pre; i++) {
      pace(t0, plan.preMs() * i / Math.max(1, pre));
      fire(i, productId, users.get(i), slots, outcomes, t0);
    }
    // the fault, on its own thread; the stampede goes on
    if (fault != null) {
      clock.startedAt = System.currentTimeMillis();
      faultThread =
          new Thread(
              () -> {
                try {
                  fault.accept(clock);
                } catch (Throwable e) {
                  clock.failure = e;
                } finally {
                  if (clock.backAt == 0) {
                    clock.back();
                  }
                }
              },
              "fault");
      faultThread.start();
      // 2. during the outage
      long t1 = System.nanoTime();
      int end = Math.min(n, i + during);
      for (int k = 0; i < end && clock.back.getCount() > 0; i++, k++) {
        pace(t1, plan.expectedFaultMs() * k / Math.max(1, during));
        fire(i, productId, users.get(i), slots, outcomes, t0);
      }
      try {
        // a dependency that takes longer to come back than planned: the stampede waits for it
        // (bounded)
        clock.back.await(5, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // 3. after the dependency is back
    long t2 = System.nanoTime();
    int rest = n - i;
    for (int k = 0; i < n; i++, k++) {
      pace(t2, plan.tailMs() * k / Math.max(1, rest));
      fire(i, productId, users.get(i), slots, outcomes, t0);
    }
    slots.acquireUninterruptibly(concurrency); // every answer is in (each has a hard timeout)
    slots.release(concurrency);
    if (faultThread != null) {
      try {
        faultThread.join(TimeUnit.MINUTES.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    List<Outcome> list = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      list.add(outcomes.get(k));
    }
    return new Result(list, startedAt, System.currentTimeMillis(), clock);
  }

  private static void pace(long t0, long atMs) {
    long wait = t0 + TimeUnit.MILLISECONDS.toNanos(atMs) - System.nanoTime();
    if (wait > 0) {
      Sandbox.sleep(TimeUnit.NANOSECONDS.toMillis(wait));
    }
  }

  private void fire(
      int index,
      long productId,
      Api.User user,
      Semaphore slots,
      AtomicReferenceArray<Outcome> outcomes,
      long t0) {
    slots.acquireUninterruptibly();
    long start = System.nanoTime();
    int first = index % nodes.size();
    attempt(nodes.get(first), productId, user)
        .recover(
            e -> {
              if (isRefused(e)) {
                int other = (first + 1) % nodes.size();
                return attempt(nodes.get(other), productId, user).map(o -> o.failedOver(true));
              }
              return Future.failedFuture(e);
            })
        .onComplete(
            done -> {
              long latency = (System.nanoTime() - start) / 1_000_000;
              long startMs = (start - t0) / 1_000_000;
              Outcome outcome;
              if (done.succeeded()) {
                Attempt a = done.result();
                outcome =
                    new Outcome(
                        index,
                        a.node,
                        a.status,
                        a.code,
                        a.orderId,
                        startMs,
                        latency,
                        null,
                        a.failedOver);
              } else {
                outcome =
                    new Outcome(
                        index,
                        nodes.get(first).name,
                        0,
                        null,
                        null,
                        startMs,
                        latency,
                        errorKey(done.cause()),
                        false);
              }
              outcomes.set(index, outcome);
              slots.release();
            });
  }

  private record Attempt(String node, int status, String code, String orderId, boolean failedOver) {
    Attempt failedOver(boolean value) {
      return new Attempt(node, status, code, orderId, value);
    }
  }

  private Future<Attempt> attempt(AvalancheNode node, long productId, Api.User user) {
    Promise<Attempt> promise = Promise.promise();
    // Hard timeout of our own on top of the client's: whatever happens on the wire, the attempt
    // ends.
    long timer =
        api.vertx.setTimer(
            TIMEOUT_MS + 500,
            t -> promise.tryFail(new java.util.concurrent.TimeoutException("hard timeout")));
    api.client
        .post(node.port, "127.0.0.1", "/api/products/" + productId + "/purchase")
        .bearerTokenAuthentication(user.token())
        .timeout(TIMEOUT_MS)
        .send()
        .onComplete(
            done -> {
              api.vertx.cancelTimer(timer);
              if (done.failed()) {
                promise.tryFail(done.cause());
                return;
              }
              HttpResponse<Buffer> r = done.result();
              String code = null;
              String orderId = null;
              try {
                JsonObject body = r.bodyAsJsonObject();
                if (body != null) {
                  code = body.getString("error", body.getString("outcome"));
                  orderId = body.getString("orderId");
                }
              } catch (RuntimeException notJson) {
                code = "NOT_JSON";
              }
              if (r.statusCode() == 202) {
                code = null;
              }
              promise.tryComplete(new Attempt(node.name, r.statusCode(), code, orderId, false));
            });
    return promise.future();
  }

  private static boolean isRefused(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        return true;
      }
    }
    return false;
  }

  static String errorKey(Throwable e) {
    String text = String.valueOf(e);
    if (e instanceof java.util.concurrent.TimeoutException || text.contains("imeout")) {
      return "ERR timeout";
    }
    if (isRefused(e)) {
      return "ERR refused";
    }
    if (text.contains("closed") || text.contains("Closed") || text.contains("reset")) {
      return "ERR connection closed";
    }
    return "ERR " + e.getClass().getSimpleName();
  }
}
