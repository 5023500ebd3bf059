package avalanche.shipping;

import avalanche.user.PiiCipher;
import avalanche.messages.SagaCommand;
import avalanche.messages.SagaStep;
import avalanche.saga.Participant;
import avalanche.saga.StepResult;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

/**
 * PREPARE_SHIPPING: registers the order's shipment to the address given with the purchase, else to the
 * user's stored address; the compensation cancels it. Addresses are stored encrypted.
 */
public final class ShippingParticipant implements Participant {
  public static final String INVALID_ADDRESS = "INVALID_ADDRESS";

  private final PiiCipher cipher;

  public ShippingParticipant(PiiCipher cipher) {
    this.cipher = cipher;
  }

  @Override
  public SagaStep step() {
    return SagaStep.PREPARE_SHIPPING;
  }

  @Override
  public Future<StepResult> execute(SqlConnection tx, SagaCommand command) {
    // An address given with the purchase is the one to use, even if it is unusable: no silent fallback.
    Future<String> address = command.getShippingAddress() != null
        ? Future.succeededFuture(Addresses.shippable(command.getShippingAddress()))
        : storedAddress(tx, command.getUserId());
    return address.compose(to -> {
      if (to == null) {
        return Future.succeededFuture(StepResult.failed(INVALID_ADDRESS));
      }
      return tx.preparedQuery("""
              INSERT INTO shipments (order_id, user_id, address_enc, status) VALUES ($1, $2, $3, 'REGISTERED')
              ON CONFLICT (order_id) DO NOTHING""")
          .execute(Tuple.of(command.getOrderId(), command.getUserId(), Buffer.buffer(cipher.encrypt("shippingAddress", to))))
          .map(StepResult.SUCCESS);
    });
  }

  @Override
  public Future<Void> compensate(SqlConnection tx, SagaCommand command) {
    return tx.preparedQuery("""
            UPDATE shipments SET status = 'CANCELLED', cancelled_at = now()
             WHERE order_id = $1 AND status = 'REGISTERED'""")
        .execute(Tuple.of(command.getOrderId()))
        .mapEmpty();
  }

  private Future<String> storedAddress(SqlConnection tx, long userId) {
    return tx.preparedQuery("SELECT address_enc FROM users WHERE id = $1").execute(Tuple.of(userId)).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Buffer sealed = rows.iterator().next().getBuffer("address_enc");
      return sealed == null ? null : Addresses.shippable(cipher.decrypt("address", sealed.getBytes()));
    });
  }
}
