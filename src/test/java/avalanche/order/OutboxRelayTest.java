package avalanche.order;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.Eventually;
import avalanche.TestServer;
import avalanche.infra.config.OutboxSettings;
import avalanche.infra.kafka.AvroMessages;
import avalanche.infra.kafka.Topics;
import avalanche.messages.OrderRequested;
import avalanche.stock.StockKeys;
import avalanche.stock.StockProbe;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The order outbox and its relay against the real Redis, Kafka and PostgreSQL (and the real saga,
 * which settles what the relays deliver). This class's server runs no relay of its own ({@code
 * verticles.outboxRelay} 0): each test starts the relays it needs, over its own products only. What
 * reached Kafka is read back from {@code order.requested} from the offsets noted before, with a
 * consumer of a fresh group.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class OutboxRelayTest {
  private static final long WAIT_MS = 60_000;
  private static final String ADDRESS = "1 Outbox Road, Relay Town";

  @RegisterExtension
  static final TestServer server =
      TestServer.extension(
          new JsonObject().put("verticles", new JsonObject().put("outboxRelay", 0)));

  /** Set while the test JVM's Kafka is stopped (SIGSTOP), so that it is always let go again. */
  private static volatile Long stoppedKafka;

  @AfterEach
  void kafkaRunsAgain() {
    resumeKafka();
  }

  @Test
  void ordersWaitInTheOutboxWhileNoRelayRunsAndEachReachesKafkaOnceWhenOneStarts(
      VertxTestContext test) {
    int n = 30;
    setup(n, 1)
        .compose(
            s ->
                endOffsets()
                    .compose(
                        from -> {
                          // Purchases answer 202 with no relay (and so no Kafka) anywhere: the
                          // order is in the outbox, readable.
                          return purchaseAll(s, 0, n)
                              .compose(
                                  orderIds ->
                                      Future.all(
                                              outboxLength(s.products.get(0)),
                                              server
                                                  .http()
                                                  .get("/api/orders/" + orderIds.get(0))
                                                  .bearerTokenAuthentication(s.tokens.get(0))
                                                  .send())
                                          .compose(
                                              both -> {
                                                test.verify(
                                                    () -> {
                                                      assertThat(both.<Long>resultAt(0))
                                                          .as("every order in the outbox")
                                                          .isEqualTo(n);
                                                      var read =
                                                          both
                                                              .<io.vertx.ext.web.client
                                                                          .HttpResponse<
                                                                      io.vertx.core.buffer.Buffer>>
                                                                  resultAt(1);
                                                      assertThat(read.statusCode()).isEqualTo(200);
                                                      assertThat(
                                                              read.bodyAsJsonObject()
                                                                  .getString("status"))
                                                          .isEqualTo("PENDING");
                                                      assertThat(
                                                              read.bodyAsJsonObject()
                                                                  .getLong("price"))
                                                          .isEqualTo(10);
                                                    });
                                                return TestRelay.deploy(
                                                    server,
                                                    s.products,
                                                    TestRelay.settings(server, 10_000));
                                              })
                                          .compose(
                                              relay ->
                                                  drained(s.products.get(0))
                                                      .compose(
                                                          empty -> completed(s.products.get(0), n))
                                                      .compose(
                                                          done ->
                                                              Future.all(
                                                                  keysSince(
                                                                      from, Set.copyOf(orderIds)),
                                                                  pending(s.products.get(0))))
                                                      .compose(
                                                          all -> {
                                                            Map<String, Integer> published =
                                                                all.resultAt(0);
                                                            long stillPending = all.resultAt(1);
                                                            test.verify(
                                                                () -> {
                                                                  assertThat(published).hasSize(n);
                                                                  assertThat(published.values())
                                                                      .as(
                                                                          "each order produced once")
                                                                      .containsOnly(1);
                                                                  assertThat(stillPending)
                                                                      .as(
                                                                          "nothing left pending in the group")
                                                                      .isZero();
                                                                  assertThat(
                                                                          relay
                                                                              .metrics()
                                                                              .relayedTotal())
                                                                      .isEqualTo(n);
                                                                });
                                                            return relay.undeploy();
                                                          })));
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void duringABurstOrdersWaitInTheOutboxAndSettleOnceItPasses(VertxTestContext test) {
    int n = 60;
    OutboxSettings base = TestRelay.settings(server, 10_000);
    // A bound of 5 orders won per second: the purchases below, 40 a second for 1.5 s (several of
    // the relay's 200 ms measurements), are a fast burst for it; no busy bursts.
    OutboxSettings settings =
        new OutboxSettings(
            base.batchSize(),
            base.idlePollMs(),
            base.retryMaxMs(),
            base.claimIdleMs(),
            base.claimIntervalMs(),
            base.productRefreshMs(),
            base.measureIntervalMs(),
            base.forgetConsumerMs(),
            5,
            0,
            base.yieldBusyCpu(),
            60_000);
    setup(n, 1)
        .compose(
            s ->
                endOffsets()
                    .compose(
                        from ->
                            TestRelay.deploy(server, s.products, settings)
                                .compose(
                                    relay -> {
                                      long[] heldWhileHolding = {0};
                                      long sampler =
                                          server
                                              .vertx()
                                              .setPeriodic(
                                                  50,
                                                  id -> {
                                                    if (relay.metrics().holding()) {
                                                      heldWhileHolding[0] =
                                                          Math.max(
                                                              heldWhileHolding[0],
                                                              relay.metrics().length());
                                                    }
                                                  });
                                      return purchasePaced(s, n, 25)
                                          .compose(
                                              orderIds ->
                                                  drained(s.products.get(0))
                                                      .compose(
                                                          empty -> completed(s.products.get(0), n))
                                                      .compose(
                                                          done ->
                                                              keysSince(
                                                                  from, Set.copyOf(orderIds))))
                                          .compose(
                                              published -> {
                                                server.vertx().cancelTimer(sampler);
                                                test.verify(
                                                    () -> {
                                                      assertThat(heldWhileHolding[0])
                                                          .as(
                                                              "orders held in the outbox during the burst")
                                                          .isPositive();
                                                      assertThat(relay.metrics().holding())
                                                          .as(
                                                              "the burst is over: no longer holding")
                                                          .isFalse();
                                                      assertThat(published).hasSize(n);
                                                      assertThat(published.values())
                                                          .as("each order produced once")
                                                          .containsOnly(1);
                                                    });
                                                return relay.undeploy();
                                              });
                                    })))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void entriesOfARelayKilledMidBatchAreClaimedByAnotherOnceIdleLongEnough(VertxTestContext test) {
    int n = 20;
    long claimIdleMs = 3_000;
    setup(n, 1)
        .compose(
            s ->
                endOffsets()
                    .compose(
                        from -> {
                          long productId = s.products.get(0);
                          return purchaseAll(s, 0, n)
                              .compose(
                                  orderIds ->
                                      // A reads every entry but never gets Kafka to acknowledge:
                                      // they stay pending to it.
                                      TestRelay.deployUnreachable(
                                              server,
                                              s.products,
                                              TestRelay.settings(server, claimIdleMs))
                                          .compose(
                                              a ->
                                                  Eventually.eventually(
                                                          server.vertx(),
                                                          WAIT_MS,
                                                          () -> pendingTo(productId),
                                                          byConsumer ->
                                                              byConsumer.getOrDefault(
                                                                      a.consumer(), 0L)
                                                                  == n)
                                                      .compose(
                                                          held ->
                                                              TestRelay.deploy(
                                                                  server,
                                                                  s.products,
                                                                  TestRelay.settings(
                                                                      server, claimIdleMs)))
                                                      // While A lives it keeps reading its entries
                                                      // again (a failed send is retried), so B,
                                                      // which looks
                                                      // for idle entries every 200 ms, takes none
                                                      // of them.
                                                      .compose(
                                                          b ->
                                                              server
                                                                  .vertx()
                                                                  .timer(claimIdleMs + 1_500)
                                                                  .compose(
                                                                      t -> pendingTo(productId))
                                                                  .compose(
                                                                      held -> {
                                                                        test.verify(
                                                                            () -> {
                                                                              assertThat(
                                                                                      held.get(
                                                                                          a
                                                                                              .consumer()))
                                                                                  .as(
                                                                                      "a live relay keeps its entries")
                                                                                  .isEqualTo(n);
                                                                              assertThat(
                                                                                      b.metrics()
                                                                                          .claimedTotal())
                                                                                  .isZero();
                                                                            });
                                                                        // A dies mid-batch: read,
                                                                        // not acknowledged.
                                                                        return a.undeploy().map(b);
                                                                      }))
                                                      .compose(b -> drained(productId).map(b))
                                                      .compose(b -> completed(productId, n).map(b))
                                                      .compose(
                                                          b ->
                                                              Future.all(
                                                                      keysSince(
                                                                          from,
                                                                          Set.copyOf(orderIds)),
                                                                      pending(productId))
                                                                  .compose(
                                                                      all -> {
                                                                        Map<String, Integer>
                                                                            published =
                                                                                all.resultAt(0);
                                                                        long stillPending =
                                                                            all.resultAt(1);
                                                                        test.verify(
                                                                            () -> {
                                                                              assertThat(
                                                                                      b.metrics()
                                                                                          .claimedTotal())
                                                                                  .as(
                                                                                      "B claimed what A held")
                                                                                  .isEqualTo(n);
                                                                              assertThat(published)
                                                                                  .hasSize(n);
                                                                              assertThat(
                                                                                      published
                                                                                          .values())
                                                                                  .containsOnly(1);
                                                                              assertThat(
                                                                                      stillPending)
                                                                                  .isZero();
                                                                            });
                                                                        return b.undeploy();
                                                                      }))));
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void withKafkaDownPurchasesAnswer202AndTheOutboxDrainsByItselfOnceKafkaIsBack(
      VertxTestContext test) {
    int n = 20;
    setup(n, 1)
        .compose(
            s -> {
              long productId = s.products.get(0);
              return TestRelay.deployExported(
                      server, s.products, TestRelay.settings(server, 10_000))
                  .compose(
                      relay ->
                          // A first order goes through, so the relay's producer knows the topic and
                          // Kafka was reachable.
                          purchaseAll(s, 0, 1)
                              .compose(first -> completed(productId, 1))
                              .compose(
                                  v ->
                                      server
                                          .vertx()
                                          .executeBlocking(
                                              () -> {
                                                stopKafka();
                                                return null;
                                              }))
                              .compose(
                                  v -> {
                                    long started = System.currentTimeMillis();
                                    return purchaseAll(s, 1, n)
                                        .map(ids -> System.currentTimeMillis() - started);
                                  })
                              // Kafka stays away past the relay's delivery timeout (4 s): its send
                              // fails and is retried.
                              .compose(
                                  tookMs ->
                                      Eventually.eventually(
                                              server.vertx(),
                                              20_000,
                                              () -> Future.succeededFuture(relay.metrics()),
                                              m -> m.length() == n - 1 && m.lagMs() >= 6_000)
                                          .compose(
                                              m ->
                                                  Future.all(
                                                      outboxLength(productId), metricsText()))
                                          .map(
                                              all -> {
                                                String exported = all.resultAt(1);
                                                test.verify(
                                                    () -> {
                                                      assertThat(tookMs)
                                                          .as(
                                                              "%d purchases answered 202 with Kafka stopped",
                                                              n - 1)
                                                          .isLessThan((n - 1) * 500L);
                                                      assertThat(all.<Long>resultAt(0))
                                                          .as("the outbox keeps them")
                                                          .isEqualTo(n - 1);
                                                      assertThat(exported)
                                                          .contains(
                                                              "avalanche_outbox_length",
                                                              "avalanche_outbox_lag_ms");
                                                    });
                                                return all;
                                              }))
                              .compose(
                                  v ->
                                      server
                                          .vertx()
                                          .executeBlocking(
                                              () -> {
                                                resumeKafka();
                                                return null;
                                              }))
                              .compose(v -> drained(productId))
                              .compose(v -> completed(productId, n))
                              .compose(
                                  v ->
                                      Eventually.eventually(
                                          server.vertx(),
                                          5_000,
                                          () -> Future.succeededFuture(relay.metrics()),
                                          m -> m.length() == 0 && m.lagMs() == 0))
                              .compose(v -> relay.undeploy()));
            })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void twoRelaysAtOnceDeliverEveryOrderOnceAndADuplicateRecordChangesNothing(
      VertxTestContext test) {
    int perProduct = 25;
    setup(2 * perProduct, 2)
        .compose(
            s ->
                endOffsets()
                    .compose(
                        from -> {
                          OutboxSettings settings = TestRelay.settings(server, 10_000);
                          return Future.all(
                                  TestRelay.deploy(server, s.products, settings),
                                  TestRelay.deploy(server, s.products, settings))
                              .compose(
                                  relays -> {
                                    TestRelay a = relays.resultAt(0);
                                    TestRelay b = relays.resultAt(1);
                                    // Both products bought at once while both relays run.
                                    List<Future<String>> buys = new ArrayList<>();
                                    for (int i = 0; i < 2 * perProduct; i++) {
                                      buys.add(purchase(s.products.get(i % 2), s.tokens.get(i)));
                                    }
                                    return Future.all(buys)
                                        .compose(
                                            all -> {
                                              List<String> orderIds = new ArrayList<>();
                                              buys.forEach(f -> orderIds.add(f.result()));
                                              // The same order once more, as a relay that died
                                              // after Kafka acknowledged and before Redis did would
                                              // leave it: the saga stores it once, charges it once.
                                              String twice = orderIds.get(0);
                                              return publishAgain(
                                                      twice, s.products.get(0), s.users.get(0))
                                                  .compose(
                                                      v ->
                                                          Future.all(
                                                              drained(s.products.get(0)),
                                                              drained(s.products.get(1))))
                                                  .compose(
                                                      v ->
                                                          Future.all(
                                                              completed(
                                                                  s.products.get(0), perProduct),
                                                              completed(
                                                                  s.products.get(1), perProduct)))
                                                  .compose(
                                                      v ->
                                                          Future.all(
                                                              keysSince(from, Set.copyOf(orderIds)),
                                                              deducted(twice),
                                                              Eventually.eventually(
                                                                  server.vertx(),
                                                                  10_000,
                                                                  () -> sold(s.products.get(0)),
                                                                  sold -> sold == perProduct)))
                                                  .compose(
                                                      checks -> {
                                                        Map<String, Integer> published =
                                                            checks.resultAt(0);
                                                        long deductions = checks.resultAt(1);
                                                        test.verify(
                                                            () -> {
                                                              assertThat(published)
                                                                  .hasSize(2 * perProduct);
                                                              Map<String, Integer> others =
                                                                  new HashMap<>(published);
                                                              assertThat(others.remove(twice))
                                                                  .as(
                                                                      "the relayed record and the duplicate")
                                                                  .isEqualTo(2);
                                                              assertThat(others.values())
                                                                  .as(
                                                                      "every other order produced once, by one of the two")
                                                                  .containsOnly(1);
                                                              assertThat(
                                                                      a.metrics().relayedTotal()
                                                                          + b.metrics()
                                                                              .relayedTotal())
                                                                  .isEqualTo(2 * perProduct);
                                                              assertThat(deductions)
                                                                  .as("points taken once")
                                                                  .isEqualTo(1);
                                                            });
                                                        return Future.all(
                                                            a.undeploy(), b.undeploy());
                                                      });
                                            });
                                  });
                        }))
        .onComplete(test.succeedingThenComplete());
  }

  // --- setup and purchases
  // --------------------------------------------------------------------------

  private record Setup(List<Long> products, List<Long> users, List<String> tokens) {}

  /**
   * {@code products} products of ample stock at price 10 and {@code users} users with 100 points
   * each.
   */
  private static Future<Setup> setup(int users, int products) {
    List<Future<Long>> created = new ArrayList<>();
    for (int i = 0; i < products; i++) {
      created.add(server.createProduct("COMMON", 10, 1_000));
    }
    // Tokens are minted off the event loop: each waits for its session write.
    return Future.all(created)
        .compose(all -> server.createUsers(users, 100))
        .compose(
            ids ->
                server
                    .vertx()
                    .executeBlocking(
                        () -> {
                          List<Long> productIds = new ArrayList<>();
                          created.forEach(f -> productIds.add(f.result()));
                          return new Setup(
                              productIds, ids, ids.stream().map(id -> server.token(id)).toList());
                        }));
  }

  /**
   * Users {@code from}..{@code to - 1} buy the first product, one after the other; their order ids.
   */
  private static Future<List<String>> purchaseAll(Setup s, int from, int to) {
    Future<List<String>> chain = Future.succeededFuture(new ArrayList<>());
    for (int i = from; i < to; i++) {
      String token = s.tokens.get(i);
      chain =
          chain.compose(
              ids ->
                  purchase(s.products.get(0), token)
                      .map(
                          id -> {
                            ids.add(id);
                            return ids;
                          }));
    }
    return chain;
  }

  /** Users 0..{@code n - 1} buy the first product, one every {@code gapMs}; their order ids. */
  private static Future<List<String>> purchasePaced(Setup s, int n, long gapMs) {
    Future<List<String>> chain = Future.succeededFuture(new ArrayList<>());
    for (int i = 0; i < n; i++) {
      String token = s.tokens.get(i);
      chain =
          chain.compose(
              ids ->
                  server
                      .vertx()
                      .timer(gapMs)
                      .compose(t -> purchase(s.products.get(0), token))
                      .map(
                          id -> {
                            ids.add(id);
                            return ids;
                          }));
    }
    return chain;
  }

  private static Future<String> purchase(long productId, String token) {
    return server
        .http()
        .post("/api/products/" + productId + "/purchase")
        .bearerTokenAuthentication(token)
        .sendJsonObject(new JsonObject().put("shippingAddress", ADDRESS))
        .map(
            response -> {
              if (response.statusCode() != 202) {
                throw new AssertionError(
                    "expected 202, got " + response.statusCode() + " " + response.bodyAsString());
              }
              return response.bodyAsJsonObject().getString("orderId");
            });
  }

  /** Produces the order's {@code order.requested} record once more, straight to Kafka. */
  private static Future<Void> publishAgain(String orderId, long productId, long userId) {
    OrderRequested order =
        OrderRequested.newBuilder()
            .setOrderId(orderId)
            .setProductId(productId)
            .setUserId(userId)
            .setPrice(10)
            .setShippingAddress(null)
            .setCreatedAt(System.currentTimeMillis())
            .build();
    return server
        .vertx()
        .executeBlocking(
            () -> {
              try (var producer =
                  new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(
                      new HashMap<String, Object>(
                          avalanche.infra.Clients.kafkaProducerConfig(
                              server.app().settings().kafka())))) {
                producer
                    .send(
                        new ProducerRecord<>(
                            Topics.ORDER_REQUESTED,
                            orderId,
                            AvroMessages.encode(order::toByteBuffer)))
                    .get(10, TimeUnit.SECONDS);
              }
              return null;
            });
  }

  /** The server's /metrics text (the gauges exist once the relay verticle registered them). */
  private static Future<String> metricsText() {
    return server.http().get("/metrics").send().map(r -> r.bodyAsString());
  }

  // --- reading Redis and PostgreSQL
  // --------------------------------------------------------------------

  private static Future<Long> outboxLength(long productId) {
    return server
        .redis()
        .send(Request.cmd(Command.XLEN).arg(StockKeys.outbox(productId)))
        .map(Response::toLong);
  }

  private static Future<Long> drained(long productId) {
    return Eventually.eventually(
        server.vertx(), WAIT_MS, () -> outboxLength(productId), n -> n == 0);
  }

  /** Entries read by some relay and not acknowledged yet. */
  private static Future<Long> pending(long productId) {
    return server
        .redis()
        .send(Request.cmd(Command.XPENDING).arg(StockKeys.outbox(productId)).arg(OutboxRelay.GROUP))
        .map(summary -> summary.get(0).toLong());
  }

  /** Pending entries per consumer of the relay group. */
  private static Future<Map<String, Long>> pendingTo(long productId) {
    return server
        .redis()
        .send(Request.cmd(Command.XPENDING).arg(StockKeys.outbox(productId)).arg(OutboxRelay.GROUP))
        .map(
            summary -> {
              Map<String, Long> out = new HashMap<>();
              Response consumers = summary.size() > 3 ? summary.get(3) : null;
              if (consumers != null) {
                for (Response consumer : consumers) {
                  out.put(consumer.get(0).toString(), consumer.get(1).toLong());
                }
              }
              return out;
            })
        // Before the first relay read, the group does not exist.
        .otherwise(failure -> Map.of());
  }

  private static Future<Long> completed(long productId, long expected) {
    return Eventually.eventually(
        server.vertx(),
        WAIT_MS,
        () ->
            server
                .pg()
                .preparedQuery(
                    "SELECT count(*) FROM orders WHERE product_id = $1 AND status = 'COMPLETED'")
                .execute(Tuple.of(productId))
                .map(rows -> rows.iterator().next().getLong(0)),
        n -> n == expected);
  }

  private static Future<Long> deducted(String orderId) {
    return server
        .pg()
        .preparedQuery("SELECT count(*) FROM point_ledger WHERE order_id = $1 AND kind = 'DEDUCT'")
        .execute(Tuple.of(orderId))
        .map(rows -> rows.iterator().next().getLong(0));
  }

  private static Future<Long> sold(long productId) {
    return StockProbe.hash(server.redis(), StockKeys.product(productId))
        .map(p -> Long.parseLong(p.getString("sold")));
  }

  // --- reading Kafka
  // -------------------------------------------------------------------------------

  private static KafkaConsumer<String, byte[]> consumer() {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", server.app().settings().kafka().requiredBootstrap());
    props.put("group.id", "outbox-test-" + UUID.randomUUID());
    props.put("enable.auto.commit", "false");
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** The end of every partition of {@code order.requested} now. */
  private static Future<Map<TopicPartition, Long>> endOffsets() {
    return server
        .vertx()
        .executeBlocking(
            () -> {
              try (KafkaConsumer<String, byte[]> consumer = consumer()) {
                List<TopicPartition> partitions = new ArrayList<>();
                for (PartitionInfo p :
                    consumer.partitionsFor(Topics.ORDER_REQUESTED, Duration.ofSeconds(10))) {
                  partitions.add(new TopicPartition(p.topic(), p.partition()));
                }
                return new HashMap<>(consumer.endOffsets(partitions, Duration.ofSeconds(10)));
              }
            },
            false);
  }

  /**
   * How often each of {@code keys} was produced to {@code order.requested} after {@code from}: read
   * until every key was seen, then for 2 s more (a duplicate would show up).
   */
  private static Future<Map<String, Integer>> keysSince(
      Map<TopicPartition, Long> from, Set<String> keys) {
    return server
        .vertx()
        .executeBlocking(
            () -> {
              Map<String, Integer> seen = new HashMap<>();
              try (KafkaConsumer<String, byte[]> consumer = consumer()) {
                consumer.assign(from.keySet());
                from.forEach(consumer::seek);
                long deadline = System.currentTimeMillis() + WAIT_MS;
                long quietUntil = Long.MAX_VALUE;
                while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
                  for (ConsumerRecord<String, byte[]> record :
                      consumer.poll(Duration.ofMillis(200))) {
                    if (keys.contains(record.key())) {
                      seen.merge(record.key(), 1, Integer::sum);
                    }
                  }
                  if (quietUntil == Long.MAX_VALUE && seen.keySet().containsAll(keys)) {
                    quietUntil = System.currentTimeMillis() + 2_000;
                  }
                }
              }
              return seen;
            },
            false);
  }

  // --- stopping the test JVM's Kafka
  // -----------------------------------------------------------------

  /**
   * Freezes the embedded Kafka broker (SIGSTOP): connections stay open and nothing answers, as with
   * a hung broker.
   */
  private static void stopKafka() {
    // The JDK's view of a command line is cut short (the class path is long): read /proc ourselves.
    long pid =
        ProcessHandle.current()
            .descendants()
            .filter(p -> commandLine(p.pid()).contains("avalanche.infra.embedded.KafkaChild"))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("no embedded Kafka process"))
            .pid();
    signal("STOP", pid);
    stoppedKafka = pid;
  }

  private static String commandLine(long pid) {
    try {
      return new String(
          java.nio.file.Files.readAllBytes(
              java.nio.file.Path.of("/proc", Long.toString(pid), "cmdline")),
          java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private static void resumeKafka() {
    Long pid = stoppedKafka;
    if (pid != null) {
      signal("CONT", pid);
      stoppedKafka = null;
    }
  }

  private static void signal(String signal, long pid) {
    try {
      int exit =
          new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
              .inheritIO()
              .start()
              .waitFor();
      if (exit != 0) {
        throw new IllegalStateException("kill -" + signal + " " + pid + " exited " + exit);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
