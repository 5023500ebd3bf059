package avalanche.infra.kafka;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Creates the Kafka topics at start with the configured partition count. Blocking: call off the
 * event loop.
 */
public final class Topics {
  public static final String ORDER_REQUESTED = "order.requested";
  public static final String STOCK_COMMANDS = "stock.commands";
  public static final String POINT_COMMANDS = "point.commands";
  public static final String SHIPPING_COMMANDS = "shipping.commands";
  public static final String SAGA_REPLIES = "saga.replies";
  public static final String DEAD_LETTERS = "dead.letters";

  public static final List<String> ALL =
      List.of(
          ORDER_REQUESTED,
          STOCK_COMMANDS,
          POINT_COMMANDS,
          SHIPPING_COMMANDS,
          SAGA_REPLIES,
          DEAD_LETTERS);

  private Topics() {}

  public static void ensure(String bootstrap, int partitions, short replication) {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Set<String> existing = new HashSet<>(admin.listTopics().names().get(30, TimeUnit.SECONDS));
      List<NewTopic> missing =
          ALL.stream()
              .filter(t -> !existing.contains(t))
              .map(t -> new NewTopic(t, partitions, replication))
              .toList();
      if (!missing.isEmpty()) {
        try {
          admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
            throw e;
          }
        }
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Kafka at " + bootstrap + ": could not create topics: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
