package avalanche.shipping;

import avalanche.messages.SagaCommand;
import avalanche.messages.SagaStep;
import avalanche.saga.FailureReason;
import avalanche.saga.Participant;
import avalanche.saga.StepResult;
import avalanche.user.PiiCipher;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PREPARE_SHIPPING: registers the order's shipment to the address given with the purchase, else to
 * the user's stored address; the compensation cancels it. Addresses are stored encrypted. A round
 * of orders takes at most three statements: the stored addresses it needs, the shipments, (or) the
 * cancellations.
 */
public final class ShippingParticipant implements Participant {

  private final PiiCipher cipher;

  public ShippingParticipant(PiiCipher cipher) {
    this.cipher = cipher;
  }

  @Override
  public SagaStep step() {
    return SagaStep.PREPARE_SHIPPING;
  }

  @Override
  public Future<Map<String, StepResult>> execute(SqlConnection tx, List<SagaCommand> commands) {
    Set<Long> needStored = new LinkedHashSet<>();
    for (SagaCommand command : commands) {
      if (command.getShippingAddress() == null) {
        needStored.add(command.getUserId());
      }
    }
    return storedAddresses(tx, needStored)
        .compose(
            stored -> {
              Map<String, StepResult> results = new HashMap<>();
              List<String> orderIds = new ArrayList<>();
              List<Long> userIds = new ArrayList<>();
              List<Buffer> sealed = new ArrayList<>();
              for (SagaCommand command : commands) {
                // An address given with the purchase is the one to use, even if it is unusable: no
                // silent fallback.
                String to =
                    command.getShippingAddress() != null
                        ? Addresses.shippable(command.getShippingAddress())
                        : stored.get(command.getUserId());
                if (to == null) {
                  results.put(
                      command.getOrderId(), StepResult.failed(FailureReason.INVALID_ADDRESS));
                  continue;
                }
                results.put(command.getOrderId(), StepResult.SUCCESS);
                orderIds.add(command.getOrderId());
                userIds.add(command.getUserId());
                sealed.add(Buffer.buffer(cipher.encrypt("shippingAddress", to)));
              }
              if (orderIds.isEmpty()) {
                return Future.succeededFuture(results);
              }
              return tx.preparedQuery(
                      """
              INSERT INTO shipments (order_id, user_id, address_enc, status)
              SELECT order_id, user_id, address_enc, 'REGISTERED'
                FROM unnest($1::text[], $2::bigint[], $3::bytea[]) AS r(order_id, user_id, address_enc)
              ON CONFLICT (order_id) DO NOTHING""")
                  .execute(
                      Tuple.of(
                          orderIds.toArray(String[]::new),
                          userIds.toArray(Long[]::new),
                          sealed.toArray(Buffer[]::new)))
                  .map(results);
            });
  }

  @Override
  public Future<Void> compensate(SqlConnection tx, List<SagaCommand> commands) {
    return tx.preparedQuery(
            """
            UPDATE shipments SET status = 'CANCELLED', cancelled_at = now()
             WHERE order_id = ANY($1::text[]) AND status = 'REGISTERED'""")
        .execute(
            Tuple.of(
                (Object) commands.stream().map(SagaCommand::getOrderId).toArray(String[]::new)))
        .mapEmpty();
  }

  /** The shippable stored address of each of these users that has one. */
  private Future<Map<Long, String>> storedAddresses(SqlConnection tx, Set<Long> userIds) {
    if (userIds.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    return tx.preparedQuery("SELECT id, address_enc FROM users WHERE id = ANY($1::bigint[])")
        .execute(Tuple.of((Object) userIds.toArray(Long[]::new)))
        .map(
            rows -> {
              Map<Long, String> addresses = new HashMap<>();
              rows.forEach(
                  row -> {
                    Buffer sealed = row.getBuffer("address_enc");
                    String address =
                        sealed == null
                            ? null
                            : Addresses.shippable(cipher.decrypt("address", sealed.getBytes()));
                    if (address != null) {
                      addresses.put(row.getLong("id"), address);
                    }
                  });
              return addresses;
            });
  }
}
