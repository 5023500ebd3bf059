package avalanche.order;

import avalanche.infra.MachineCpu;
import avalanche.infra.config.OutboxSettings;
import avalanche.infra.kafka.AvroMessages;
import avalanche.infra.kafka.KafkaBatchSender;
import avalanche.infra.kafka.Topics;
import avalanche.infra.redis.LuaScript;
import avalanche.messages.OrderRequested;
import avalanche.stock.StockKeys;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves won orders from the outbox streams of the products' buckets ({@code <tag>:outbox}, written
 * by reserve.lua together with the reservation) to {@code order.requested} (Avro {@link
 * OrderRequested}, key = order id), in batches.
 *
 * <p>Each relay is one consumer, of a name of its own, in the group {@value #GROUP} of every
 * bucket's outbox (the tags of the {@code buckets} index; the group is created on first read). One
 * round reads, for every product due, up to {@code batchSize} entries no relay has read yet (one
 * pipelined script call per product, outbox_read.lua), produces them all with the idempotent
 * producer (acks=all) on a worker thread, and only once Kafka acknowledged every record
 * acknowledges and deletes them in Redis (outbox_ack.lua). Nothing else ever removes an entry: the
 * outbox is never trimmed.
 *
 * <ul>
 *   <li>A failed send (Kafka away) leaves the entries pending to this relay; it reads them again
 *       (its own pending entries, which also tells Redis it is alive) and sends them again, backing
 *       off up to {@code retryMaxMs}. With Kafka down, purchases go on and the outbox grows; once
 *       Kafka is back the outbox drains by itself.
 *   <li>Entries pending for longer than {@code claimIdleMs} at another relay (it died between read
 *       and acknowledgement, or it stopped calling) are claimed ({@code XAUTOCLAIM}) and sent by
 *       this one.
 *   <li>So an entry may be produced twice (a relay died after Kafka acknowledged, before Redis did;
 *       or a claim raced a slow relay): the saga coordinator stores an order once ({@code ON
 *       CONFLICT DO NOTHING}), so a duplicate is harmless. An entry that cannot be an {@code
 *       OrderRequested} goes to {@code dead.letters}.
 * </ul>
 *
 * A product with entries is read again at once; one without backs off from 1 ms up to {@code
 * idlePollMs}. Every {@code measureIntervalMs} the relay measures the outbox ({@link
 * OutboxMetrics}: entries, age of the oldest). Use from one Vert.x context (a verticle's): {@link
 * #start()} there.
 */
public final class OutboxRelay {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);

  /** The consumer group of every outbox stream. */
  public static final String GROUP = "relay";

  private static final LuaScript READ = LuaScript.load("outbox_read");
  private static final LuaScript ACK = LuaScript.load("outbox_ack");
  private static final LuaScript FORGET = LuaScript.load("outbox_forget");

  /** Commands per pipelined batch, however many products there are. */
  private static final int MAX_PIPELINE = 500;

  /** Products due within this many ms are read in the same round. */
  private static final long SLACK_MS = 2;

  private static final long WARN_EVERY_MS = 60_000;
  private static final long FORGET_EVERY_MS = 60_000;

  /** While holding back for a burst, how often the relay looks whether it may go on. */
  private static final long HOLD_CHECK_MS = 100;

  /** One bucket's outbox as this relay sees it (used from the relay's context only). */
  private static final class Outbox {
    final String tag;
    final long productId;
    final String key;
    long dueAt;
    long idleMs;
    long retryMs;

    /**
     * A send failed: read this relay's own pending entries (and send them again) before new ones.
     */
    boolean ownPending;

    String claimCursor = "0-0";
    long claimAt;

    Outbox(String tag, long now) {
      this.tag = tag;
      this.productId = StockKeys.productOfTag(tag);
      this.key = StockKeys.outbox(tag);
      this.dueAt = now;
      this.claimAt = now;
    }
  }

  /** The entries of one outbox a round sends. */
  private record Taken(Outbox outbox, List<String> ids) {}

  private final Vertx vertx;
  private final Redis redis;
  private final KafkaBatchSender kafka;
  private final Supplier<Future<List<String>>> buckets;
  private final OutboxSettings settings;
  private final OutboxMetrics metrics;
  private final String consumer;
  private final Map<String, Outbox> outboxes = new LinkedHashMap<>();
  private final SettlementYield yield;

  private Context context;
  private boolean stopped;
  private long loopTimer = -1;
  private long measureTimer = -1;
  private long forgetTimer = -1;
  private long refreshAt;
  private long failingSince;
  private long warnedAt;

  /** What fails at the moment: nothing, reading Redis, or having Kafka acknowledge. */
  private Failing failingWhat = Failing.NOTHING;

  private enum Failing {
    NOTHING,
    REDIS,
    KAFKA
  }

  private boolean measuring;
  private Future<Void> running = Future.succeededFuture();

  /**
   * @param buckets the buckets (hash tags) whose outboxes to relay (production: {@link
   *     #indexedBuckets}), asked again every {@code productRefreshMs}
   */
  public OutboxRelay(
      Vertx vertx,
      Redis redis,
      KafkaProducer<String, byte[]> producer,
      Supplier<Future<List<String>>> buckets,
      OutboxSettings settings,
      OutboxMetrics metrics) {
    this.vertx = vertx;
    this.redis = redis;
    this.kafka = new KafkaBatchSender(vertx, producer);
    this.buckets = buckets;
    this.settings = settings;
    this.metrics = metrics;
    this.yield =
        new SettlementYield(
            settings.yieldAboveWinsPerSecond(),
            settings.yieldBusyWinsPerSecond(),
            settings.yieldBusyCpu(),
            settings.yieldMaxLagMs());
    byte[] random = new byte[4];
    new SecureRandom().nextBytes(random);
    this.consumer =
        "relay-"
            + System.getenv().getOrDefault("HOSTNAME", "host")
            + "-"
            + ProcessHandle.current().pid()
            + "-"
            + HexFormat.of().formatHex(random);
  }

  /** Every bucket of every product: the {@code buckets} index (ZRANGE). */
  public static Supplier<Future<List<String>>> indexedBuckets(Redis redis) {
    return () ->
        redis
            .send(Request.cmd(Command.ZRANGE).arg(StockKeys.BUCKET_INDEX).arg(0).arg(-1))
            .map(
                tags -> {
                  List<String> out = new ArrayList<>(tags == null ? 0 : tags.size());
                  if (tags != null) {
                    for (Response tag : tags) {
                      out.add(tag.toString());
                    }
                  }
                  return out;
                });
  }

  /** This relay's consumer name in the groups. */
  public String consumer() {
    return consumer;
  }

  /** Starts relaying on the calling context. */
  public Future<Void> start() {
    context = vertx.getOrCreateContext();
    measureTimer = vertx.setPeriodic(settings.measureIntervalMs(), id -> measure());
    forgetTimer = vertx.setPeriodic(FORGET_EVERY_MS, id -> forget());
    schedule(0);
    return Future.succeededFuture();
  }

  /**
   * Stops reading; completes once the round under way ended (its entries are acknowledged, or left
   * pending to this consumer for another relay to claim).
   */
  public Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(loopTimer);
    vertx.cancelTimer(measureTimer);
    vertx.cancelTimer(forgetTimer);
    return running;
  }

  private void schedule(long delayMs) {
    if (stopped) {
      return;
    }
    if (delayMs <= 0) {
      context.runOnContext(v -> loop());
    } else {
      context.runOnContext(v -> loopTimer = vertx.setTimer(delayMs, id -> loop()));
    }
  }

  private void loop() {
    if (stopped) {
      return;
    }
    long now = System.currentTimeMillis();
    Future<Void> refreshed = now >= refreshAt ? refresh(now) : Future.succeededFuture();
    // Holding back for a burst: nothing is read, so the saga gets no new work until the purchases
    // slow down.
    running =
        refreshed
            .compose(v -> yield.holding() ? Future.<Void>succeededFuture() : round(now))
            .transform(
                done -> {
                  if (done.failed()) {
                    // Redis itself failed (or a script error): every due outbox waits a backoff.
                    failing(done.cause(), -1);
                    long later = System.currentTimeMillis();
                    for (Outbox outbox : outboxes.values()) {
                      if (outbox.dueAt <= later) {
                        outbox.retryMs = backoff(outbox.retryMs);
                        outbox.dueAt = later + outbox.retryMs;
                      }
                    }
                  }
                  schedule(
                      yield.holding() ? HOLD_CHECK_MS : nextDue() - System.currentTimeMillis());
                  return Future.<Void>succeededFuture();
                });
  }

  private long nextDue() {
    long next = refreshAt;
    for (Outbox outbox : outboxes.values()) {
      next = Math.min(next, outbox.dueAt);
    }
    return next;
  }

  private Future<Void> refresh(long now) {
    refreshAt = now + settings.productRefreshMs();
    return buckets
        .get()
        .map(
            tags -> {
              Set<String> live = new HashSet<>(tags);
              outboxes.keySet().retainAll(live);
              for (String tag : tags) {
                outboxes.computeIfAbsent(tag, t -> new Outbox(t, now));
              }
              return (Void) null;
            })
        .otherwise(
            failure -> {
              LOG.debug(
                  "relay: could not list the products, keeping the last list: {}",
                  failure.toString());
              return null;
            });
  }

  /** One read of every due outbox, one send, one acknowledgement. */
  private Future<Void> round(long now) {
    List<Outbox> due = new ArrayList<>();
    List<Request> reads = new ArrayList<>();
    for (Outbox outbox : outboxes.values()) {
      if (outbox.dueAt > now + SLACK_MS) {
        continue;
      }
      boolean claim = now >= outbox.claimAt;
      if (claim) {
        outbox.claimAt = now + settings.claimIntervalMs();
      }
      due.add(outbox);
      reads.add(
          READ.evalsha(
              List.of(outbox.key),
              List.of(
                  GROUP,
                  consumer,
                  Integer.toString(settings.batchSize()),
                  outbox.ownPending ? "0" : ">",
                  claim ? Long.toString(settings.claimIdleMs()) : "0",
                  outbox.claimCursor)));
    }
    if (due.isEmpty()) {
      return Future.succeededFuture();
    }
    return pipelined(reads, calls -> READ.runAll(redis::batch, redis::send, calls))
        .compose(
            answers -> {
              if (failingWhat == Failing.REDIS) {
                recovered();
              }
              List<Taken> taken = new ArrayList<>();
              List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
              int claimed = 0;
              int dead = 0;
              for (int i = 0; i < due.size(); i++) {
                Outbox outbox = due.get(i);
                Response answer = answers.get(i);
                String cursor = answer.get(0).toString();
                if (!cursor.isEmpty()) {
                  outbox.claimCursor = cursor;
                }
                claimed += answer.get(1).toInteger();
                if (answer.size() <= 2) {
                  if (outbox.ownPending) {
                    // Every entry this relay held went out: back to new ones, at once.
                    outbox.ownPending = false;
                    outbox.dueAt = now;
                  } else {
                    outbox.idleMs =
                        outbox.idleMs == 0 ? 1 : Math.min(outbox.idleMs * 2, settings.idlePollMs());
                    outbox.dueAt = now + outbox.idleMs;
                  }
                  continue;
                }
                List<String> ids = new ArrayList<>(answer.size() / 2);
                for (int e = 2; e + 1 < answer.size(); e += 2) {
                  String id = answer.get(e).toString();
                  ids.add(id);
                  ProducerRecord<String, byte[]> record = record(outbox, id, answer.get(e + 1));
                  if (Topics.DEAD_LETTERS.equals(record.topic())) {
                    dead++;
                  }
                  records.add(record);
                }
                taken.add(new Taken(outbox, ids));
              }
              if (metrics != null && claimed > 0) {
                metrics.claimed(claimed);
              }
              if (claimed > 0) {
                LOG.info(
                    "relay {} claimed {} outbox entries left unacknowledged by another relay",
                    consumer,
                    claimed);
              }
              if (records.isEmpty()) {
                return Future.succeededFuture();
              }
              int deadLettered = dead;
              return kafka
                  .sendAll(records)
                  .compose(acked -> acknowledge(taken))
                  .map(
                      v -> {
                        long at = System.currentTimeMillis();
                        for (Taken t : taken) {
                          t.outbox().idleMs = 0;
                          t.outbox().retryMs = 0;
                          t.outbox().dueAt = at;
                        }
                        if (metrics != null) {
                          metrics.relayed(records.size() - deadLettered);
                          metrics.deadLettered(deadLettered);
                        }
                        if (failingWhat != Failing.NOTHING) {
                          recovered();
                        }
                        return (Void) null;
                      })
                  .recover(
                      failure -> {
                        failing(failure, records.size());
                        long at = System.currentTimeMillis();
                        for (Taken t : taken) {
                          t.outbox().ownPending = true;
                          t.outbox().retryMs = backoff(t.outbox().retryMs);
                          t.outbox().dueAt = at + t.outbox().retryMs;
                        }
                        return Future.succeededFuture();
                      });
            });
  }

  private long backoff(long previous) {
    return previous == 0 ? 50 : Math.min(previous * 2, settings.retryMaxMs());
  }

  /** XACK + XDEL of what Kafka acknowledged, one script call per product, pipelined. */
  private Future<Void> acknowledge(List<Taken> taken) {
    List<Request> acks = new ArrayList<>(taken.size());
    for (Taken t : taken) {
      List<String> args = new ArrayList<>(t.ids().size() + 1);
      args.add(GROUP);
      args.addAll(t.ids());
      acks.add(ACK.evalsha(List.of(t.outbox().key), args));
    }
    return pipelined(acks, calls -> ACK.runAll(redis::batch, redis::send, calls)).mapEmpty();
  }

  /**
   * An outbox entry as the record to produce: its order, or a dead letter when it does not describe
   * one.
   */
  static ProducerRecord<String, byte[]> record(Outbox outbox, String id, Response fieldList) {
    Map<String, String> fields = new HashMap<>();
    for (int i = 0; i + 1 < fieldList.size(); i += 2) {
      fields.put(fieldList.get(i).toString(), fieldList.get(i + 1).toString());
    }
    try {
      String address = fields.get("shippingAddress");
      OrderRequested order =
          OrderRequested.newBuilder()
              .setOrderId(fields.get("orderId"))
              .setProductId(Long.parseLong(fields.get("productId")))
              .setUserId(Long.parseLong(fields.get("userId")))
              .setPrice(Long.parseLong(fields.get("price")))
              // The script stores an absent address as "": the saga then ships to the user's own
              // address.
              .setShippingAddress(address == null || address.isEmpty() ? null : address)
              .setCreatedAt(Long.parseLong(fields.get("createdAt")))
              .build();
      if (order.getProductId() != outbox.productId) {
        throw new IllegalArgumentException(
            "entry of product " + order.getProductId() + " in the outbox of " + outbox.productId);
      }
      return new ProducerRecord<>(
          Topics.ORDER_REQUESTED, order.getOrderId(), AvroMessages.encode(order::toByteBuffer));
    } catch (RuntimeException e) {
      String reason = String.valueOf(e.getMessage());
      LOG.warn("dead-lettering outbox entry {} {}: not an order ({})", outbox.key, id, reason);
      String key = fields.getOrDefault("orderId", outbox.key + "/" + id);
      return new ProducerRecord<>(
          Topics.DEAD_LETTERS,
          null,
          key,
          new JsonObject(new HashMap<>(fields)).encode().getBytes(StandardCharsets.UTF_8),
          List.of(
              new RecordHeader("dlt.topic", outbox.key.getBytes(StandardCharsets.UTF_8)),
              new RecordHeader("dlt.partition", "-1".getBytes(StandardCharsets.UTF_8)),
              new RecordHeader("dlt.offset", id.getBytes(StandardCharsets.UTF_8)),
              new RecordHeader("dlt.group", GROUP.getBytes(StandardCharsets.UTF_8)),
              new RecordHeader("dlt.error", reason.getBytes(StandardCharsets.UTF_8))));
    }
  }

  /**
   * Runs {@code calls} in pipelined batches of at most {@value #MAX_PIPELINE}, answers in order.
   */
  private static Future<List<Response>> pipelined(
      List<Request> calls, Function<List<Request>, Future<List<Response>>> batch) {
    if (calls.size() <= MAX_PIPELINE) {
      return batch.apply(calls);
    }
    List<Future<List<Response>>> parts = new ArrayList<>();
    for (int from = 0; from < calls.size(); from += MAX_PIPELINE) {
      parts.add(batch.apply(calls.subList(from, Math.min(calls.size(), from + MAX_PIPELINE))));
    }
    return Future.all(parts)
        .map(
            all -> {
              List<Response> out = new ArrayList<>(calls.size());
              for (Future<List<Response>> part : parts) {
                out.addAll(part.result());
              }
              return out;
            });
  }

  private void failing(Throwable failure, int records) {
    long now = System.currentTimeMillis();
    if (failingWhat == Failing.NOTHING) {
      failingSince = now;
    }
    failingWhat = records < 0 ? Failing.REDIS : Failing.KAFKA;
    if (now - warnedAt >= WARN_EVERY_MS) {
      warnedAt = now;
      if (records < 0) {
        LOG.warn(
            "relay {}: cannot read the outboxes for {} s (retrying): {}",
            consumer,
            (now - failingSince) / 1000,
            failure.toString());
      } else {
        LOG.warn(
            "relay {}: {} outbox entries could not be relayed for {} s (they stay in the outbox; retrying): {}",
            consumer,
            records,
            (now - failingSince) / 1000,
            failure.toString());
      }
    }
  }

  private void recovered() {
    LOG.info(
        "relay {}: {} again after {} s",
        consumer,
        failingWhat == Failing.REDIS ? "reading the outboxes" : "relaying",
        (System.currentTimeMillis() - failingSince) / 1000);
    failingWhat = Failing.NOTHING;
    warnedAt = 0;
  }

  /**
   * Entries in every outbox, and the age of the oldest: what an order's stay in Redis alone is
   * right now; and the orders won so far, for {@link SettlementYield}.
   */
  private void measure() {
    if (measuring || outboxes.isEmpty()) {
      return;
    }
    measuring = true;
    List<Request> reads = new ArrayList<>(outboxes.size() * 3);
    for (Outbox outbox : outboxes.values()) {
      reads.add(Request.cmd(Command.XLEN).arg(outbox.key));
      reads.add(Request.cmd(Command.XRANGE).arg(outbox.key).arg("-").arg("+").arg("COUNT").arg(1));
      reads.add(Request.cmd(Command.HGET).arg(StockKeys.bucket(outbox.tag)).arg("won"));
    }
    Future<List<Response>> counted = pipelined(reads, redis::batch);
    // The machine's CPU over the same quarter second, for a busy burst; unknown if it cannot be
    // read.
    Future<Double> cpu = MachineCpu.read(vertx).otherwise(-1.0);
    Future.all(counted, cpu)
        .onComplete(
            done -> {
              measuring = false;
              if (done.failed()) {
                LOG.debug("relay: could not measure the outbox: {}", done.cause().toString());
                return;
              }
              long length = 0;
              long oldest = Long.MAX_VALUE;
              long won = 0;
              List<Response> answers = counted.result();
              for (int i = 0; i + 2 < answers.size(); i += 3) {
                long n = answers.get(i).toLong();
                length += n;
                Response first = answers.get(i + 1);
                if (n > 0 && first != null && first.size() > 0) {
                  String id = first.get(0).get(0).toString();
                  oldest = Math.min(oldest, Long.parseLong(id.substring(0, id.indexOf('-'))));
                }
                Response productWon = answers.get(i + 2);
                won += productWon == null ? 0 : productWon.toLong();
              }
              long now = System.currentTimeMillis();
              long lagMs = oldest == Long.MAX_VALUE ? 0 : Math.max(0, now - oldest);
              boolean held = yield.holding();
              if (yield.observe(won, now, lagMs, cpu.result()) != held) {
                if (held) {
                  LOG.info(
                      "relay {}: {} orders won/s, settling the {} waiting in the outbox",
                      consumer,
                      yield.winsPerSecond(),
                      length);
                } else {
                  LOG.info(
                      "relay {}: {} orders won/s, CPU {} % ({} burst): settlement waits in the outbox until it passes",
                      consumer,
                      yield.winsPerSecond(),
                      Math.round(cpu.result() * 100),
                      yield.burst());
                }
              }
              if (metrics != null) {
                metrics.measured(length, lagMs, yield.holding());
              }
            });
  }

  /**
   * Removes the consumers of relays gone for {@code forgetConsumerMs} from every product's group.
   */
  private void forget() {
    if (outboxes.isEmpty()) {
      return;
    }
    List<Request> calls = new ArrayList<>(outboxes.size());
    for (Outbox outbox : outboxes.values()) {
      calls.add(
          FORGET.evalsha(
              List.of(outbox.key),
              List.of(GROUP, Long.toString(settings.forgetConsumerMs()), consumer)));
    }
    pipelined(calls, batch -> FORGET.runAll(redis::batch, redis::send, batch))
        .onComplete(
            done -> {
              if (done.failed()) {
                LOG.debug("relay: could not forget departed relays: {}", done.cause().toString());
                return;
              }
              long removed = 0;
              for (Response r : done.result()) {
                removed += r.toLong();
              }
              if (removed > 0) {
                LOG.info(
                    "relay: removed {} consumer(s) of departed relays from the outbox groups",
                    removed);
              }
            });
  }
}
