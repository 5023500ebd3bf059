package avalanche.order;

import avalanche.infra.kafka.Topics;
import io.vertx.core.Future;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.kafka.admin.ListOffsetsResultInfo;
import io.vertx.kafka.admin.OffsetSpec;
import io.vertx.kafka.admin.TopicDescription;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.common.TopicPartitionInfo;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether the saga has taken up every order handed off so far: the coordinator group's committed
 * offsets on {@code order.requested} reached the end of every partition (a partition the group
 * never committed counts from its first retained record, where the group would start). The
 * coordinator commits a batch only after it stored its orders, so when this holds, every order
 * acknowledged before the check has its PostgreSQL row.
 */
public final class HandoffBacklog {
  private final KafkaAdminClient admin;
  private final String group;

  public HandoffBacklog(KafkaAdminClient admin, String group) {
    this.admin = admin;
    this.group = group;
  }

  public Future<Boolean> drained() {
    return admin
        .describeTopics(List.of(Topics.ORDER_REQUESTED))
        .compose(
            topics -> {
              TopicDescription topic = topics.get(Topics.ORDER_REQUESTED);
              Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
              Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
              for (TopicPartitionInfo partition : topic.getPartitions()) {
                TopicPartition tp =
                    new TopicPartition(Topics.ORDER_REQUESTED, partition.getPartition());
                earliest.put(tp, OffsetSpec.EARLIEST);
                latest.put(tp, OffsetSpec.LATEST);
              }
              return Future.all(
                      admin.listOffsets(earliest),
                      admin.listOffsets(latest),
                      admin.listConsumerGroupOffsets(group))
                  .map(
                      all -> {
                        Map<TopicPartition, ListOffsetsResultInfo> first = all.resultAt(0);
                        Map<TopicPartition, ListOffsetsResultInfo> end = all.resultAt(1);
                        Map<TopicPartition, OffsetAndMetadata> committed = all.resultAt(2);
                        for (TopicPartition tp : latest.keySet()) {
                          OffsetAndMetadata at = committed.get(tp);
                          long position = at == null ? first.get(tp).getOffset() : at.getOffset();
                          if (position < end.get(tp).getOffset()) {
                            return false;
                          }
                        }
                        return true;
                      });
            });
  }
}
