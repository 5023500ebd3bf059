package avalanche.live;

import avalanche.auth.AuthHandler;
import avalanche.infra.Channels;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;

/**
 * {@code GET /api/admin/live}: server-sent events, one per snapshot the process's feed publishes.
 * Each ingress instance keeps its own viewers and writes them the frame it received, already
 * encoded: a viewer costs one write a second. A viewer that does not read fast enough misses frames
 * instead of filling memory.
 */
public final class LiveRoutes {
  private static final Buffer HELLO = Buffer.buffer("retry: 2000\n\n");

  private final Vertx vertx;
  private final Set<HttpServerResponse> viewers = new HashSet<>();
  private Buffer last;

  public LiveRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  public void mount(Router router, AuthHandler auth) {
    router
        .get("/api/admin/live")
        .handler(auth)
        .handler(AuthHandler::requireAdmin)
        .handler(this::watch);
    vertx
        .eventBus()
        .<Buffer>localConsumer(Channels.OPS_LIVE_SNAPSHOT, frame -> broadcast(frame.body()));
  }

  private void watch(RoutingContext ctx) {
    HttpServerResponse response =
        ctx.response()
            .setChunked(true)
            .putHeader("Content-Type", "text/event-stream; charset=utf-8")
            .putHeader("Cache-Control", "no-store")
            .putHeader("X-Accel-Buffering", "no");
    viewers.add(response);
    response.closeHandler(closed -> viewers.remove(response));
    response.write(last == null ? HELLO : HELLO.copy().appendBuffer(last));
  }

  private void broadcast(Buffer frame) {
    last = frame;
    for (HttpServerResponse viewer : viewers) {
      if (!viewer.writeQueueFull()) {
        viewer.write(frame);
      }
    }
  }

  /**
   * Ends every stream, so that the server's graceful shutdown does not wait for viewers that never
   * leave.
   */
  public void close() {
    for (HttpServerResponse viewer : new ArrayList<>(viewers)) {
      viewer.end();
    }
    viewers.clear();
  }
}
