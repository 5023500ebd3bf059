package avalanche.waitingroom;

import avalanche.auth.AuthHandler;
import avalanche.auth.UserContext;
import avalanche.infra.http.ApiException;
import avalanche.infra.http.Bodies;
import avalanche.infra.http.Http;
import io.vertx.ext.web.Router;

/**
 * {@code POST /api/products/{productId}/queue} (202, the ticket) and {@code GET
 * /api/products/{productId}/queue/{ticket}}. Mounted behind the purchase route's token check (no
 * session lookup in Redis), so a poll costs Redis one script.
 */
public final class QueueRoutes {
  private final WaitingRoom room;

  public QueueRoutes(WaitingRoom room) {
    this.room = room;
  }

  public void mount(Router router, AuthHandler auth) {
    router
        .post("/api/products/:productId/queue")
        .handler(auth)
        .handler(
            Http.handle(
                202,
                ctx ->
                    room.join(
                            Bodies.numericId(ctx.pathParam("productId"), "product"),
                            UserContext.of(ctx).userId())
                        .map(TicketView::toJson)));
    router
        .get("/api/products/:productId/queue/:ticket")
        .handler(auth)
        .handler(
            Http.handle(
                200,
                ctx -> {
                  long productId = Bodies.numericId(ctx.pathParam("productId"), "product");
                  String ticket = ctx.pathParam("ticket");
                  if (!ticket.matches("[0-9]{1,18}")) {
                    throw ApiException.notFound("no such ticket");
                  }
                  return room.poll(productId, ticket, UserContext.of(ctx).userId())
                      .map(TicketView::toJson);
                }));
  }
}
