package avalanche.point;

import avalanche.auth.AuthHandler;
import avalanche.infra.http.ApiException;
import avalanche.infra.http.Bodies;
import avalanche.infra.http.Http;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;

/**
 * {@code POST /api/admin/users/{userId}/points {amount}}: adds (or, negative, takes) points through
 * the ledger. A negative amount larger than the balance empties it: the balance stops at 0 and the
 * ledger records the amount actually taken.
 */
public final class PointRoutes {
  /** One grant moves at most 10^12 points either way (README, "Input bounds"). */
  private static final long MAX_AMOUNT = 1_000_000_000_000L;

  private final Pool pg;

  public PointRoutes(Pool pg) {
    this.pg = pg;
  }

  public void mount(Router router, AuthHandler auth) {
    router
        .post("/api/admin/users/:userId/points")
        .handler(auth)
        .handler(AuthHandler::requireAdmin)
        .handler(Http.handle(200, this::grant));
  }

  private Future<JsonObject> grant(RoutingContext ctx) {
    long userId = Bodies.numericId(ctx.pathParam("userId"), "user");
    long amount = Bodies.integer(Bodies.object(ctx, false), "amount", -MAX_AMOUNT, MAX_AMOUNT);
    return PointLedger.grant(pg, userId, amount)
        .map(
            points -> {
              if (points == null) {
                throw ApiException.notFound("no such user");
              }
              return new JsonObject().put("userId", Long.toString(userId)).put("points", points);
            });
  }
}
