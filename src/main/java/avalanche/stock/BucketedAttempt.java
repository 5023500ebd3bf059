package avalanche.stock;

import avalanche.infra.http.ApiException;
import avalanche.stock.Reservation.Outcome;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One purchase attempt on a product split over buckets ({@link Buckets}). The attempt is decided in
 * the user's home bucket by reserve.lua, in one round trip while the bucket has units. When it has
 * none (EMPTY; nothing counted yet), the others are read: the fullest lends half its units to the
 * home bucket (bucket_lend.lua, then bucket_receive.lua there, then bucket_settle.lua back at the
 * lender) and the attempt is asked again; only when every bucket is empty is the attempt asked
 * without the EMPTY answer, which then counts it SOLD_OUT. A lend whose process died half-way is
 * finished by {@link BucketMoves}.
 */
public final class BucketedAttempt {
  /** Borrows within one attempt before the shopper is asked to try again (units raced away). */
  private static final int MAX_BORROWS = 32;

  private static final String[] SURVEYED = {"available", "returns", "lentOut", "lentIn"};

  private final StockScripts stock;

  public BucketedAttempt(StockScripts stock) {
    this.stock = stock;
  }

  public Future<Reservation> run(
      Buckets buckets, long userId, String orderId, double draw, String address, String admission) {
    if (!buckets.split()) {
      return stock.reserve(
          buckets.tag(0), buckets.productId(), userId, orderId, draw, address, admission, false);
    }
    String home = buckets.tag(buckets.home(userId));
    return ask(new Attempt(buckets, home, userId, orderId, draw, address, admission), 0);
  }

  private record Attempt(
      Buckets buckets,
      String home,
      long userId,
      String orderId,
      double draw,
      String address,
      String admission) {
    Future<Reservation> reserve(StockScripts stock, boolean probe) {
      return stock.reserve(
          home, buckets.productId(), userId, orderId, draw, address, admission, probe);
    }
  }

  /** What the other buckets held when read: the fullest, and the returns per tag. */
  private record Survey(String fullest, Map<String, Long> returns, long inFlight) {}

  private Future<Reservation> ask(Attempt attempt, int borrows) {
    return attempt
        .reserve(stock, true)
        .compose(
            reservation -> {
              if (reservation.outcome() != Outcome.EMPTY) {
                return Future.succeededFuture(reservation);
              }
              return survey(attempt)
                  .compose(
                      survey -> {
                        if (survey.fullest == null) {
                          return soldOut(attempt, survey);
                        }
                        if (borrows == MAX_BORROWS) {
                          return Future.failedFuture(
                              ApiException.unavailable("the drop is busy, try again"));
                        }
                        String moveId = attempt.orderId + "." + borrows;
                        return stock
                            .lend(
                                survey.fullest, moveId, attempt.home, reservation.epoch(), 0, false)
                            .compose(
                                lent ->
                                    lent == 0
                                        ? Future.succeededFuture()
                                        : stock
                                            .receive(
                                                attempt.home, moveId, reservation.epoch(), lent)
                                            .compose(
                                                received ->
                                                    stock.settle(survey.fullest, moveId, received)))
                            .compose(moved -> ask(attempt, borrows + 1));
                      });
            });
  }

  /**
   * Every bucket was empty when read: the attempt is asked without EMPTY (a unit returned to the
   * home bucket meanwhile still wins), and a SOLD_OUT carries every bucket's returns so the
   * sold-out cache is made stale by a return to any of them. Units in flight between buckets when
   * read: not cacheable, they land in a bucket in a moment.
   */
  private Future<Reservation> soldOut(Attempt attempt, Survey survey) {
    return attempt
        .reserve(stock, false)
        .map(
            reservation -> {
              if (reservation.outcome() != Outcome.SOLD_OUT || !reservation.cacheable()) {
                return reservation;
              }
              Map<String, Long> returns = new HashMap<>(survey.returns);
              returns.putAll(reservation.returns());
              return new Reservation(
                  Outcome.SOLD_OUT,
                  0,
                  survey.inFlight > 0 ? null : Map.copyOf(returns),
                  reservation.createdAt(),
                  reservation.orderId());
            });
  }

  private Future<Survey> survey(Attempt attempt) {
    List<String> tags = attempt.buckets.tags();
    List<Future<Response>> reads = new ArrayList<>();
    for (String tag : tags) {
      Request read = Request.cmd(Command.HMGET).arg(StockKeys.bucket(tag));
      for (String field : SURVEYED) {
        read.arg(field);
      }
      reads.add(stock.send(read));
    }
    return Future.all(reads)
        .map(
            all -> {
              String fullest = null;
              long most = 0;
              long inFlight = 0;
              Map<String, Long> returns = new HashMap<>();
              for (int i = 0; i < tags.size(); i++) {
                Response fields = reads.get(i).result();
                long available = number(fields, 0);
                returns.put(tags.get(i), number(fields, 1));
                inFlight += number(fields, 2) - number(fields, 3);
                if (!tags.get(i).equals(attempt.home) && available > most) {
                  fullest = tags.get(i);
                  most = available;
                }
              }
              return new Survey(fullest, returns, inFlight);
            });
  }

  private static long number(Response fields, int i) {
    Response value = fields == null ? null : fields.get(i);
    return value == null ? 0 : value.toLong();
  }
}
