package avalanche.pages;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The pages ({@code /}, {@code /ops}, {@code /docs}), the API description ({@code /openapi.yaml})
 * and their static files: ours from {@code webroot/} on the class path, Swagger UI and uPlot from
 * their webjars. Plain files, no build step; vertx-web serves them off the event loop with ETag /
 * Last-Modified revalidation.
 */
public final class PageRoutes {
  /** Our own files may change with a release: browsers revalidate them after a minute. */
  private static final long PAGE_MAX_AGE_SECONDS = 60;

  /** A webjar's path holds its version, so its files never change. */
  private static final long WEBJAR_MAX_AGE_SECONDS = 365L * 24 * 3600;

  /**
   * Only our own scripts and styles, no inline script: a token kept by a page is harder to steal.
   */
  private static final String CSP =
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
          + "object-src 'none'; frame-ancestors 'none'; base-uri 'self'";

  private final Vertx vertx;
  private Future<Buffer> description;

  public PageRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  public void mount(Router router) {
    readable(router, "/").handler(ctx -> page(ctx, "/index.html"));
    readable(router, "/ops").handler(ctx -> page(ctx, "/ops.html"));
    readable(router, "/docs").handler(ctx -> page(ctx, "/docs.html"));
    readable(router, "/openapi.yaml").handler(this::description);
    readable(router, "/webjars/*")
        .handler(
            StaticHandler.create("META-INF/resources/webjars")
                .setMaxAgeSeconds(WEBJAR_MAX_AGE_SECONDS));
    StaticHandler files = StaticHandler.create("webroot").setMaxAgeSeconds(PAGE_MAX_AGE_SECONDS);
    readable(router, "/static/*").handler(PageRoutes::secured).handler(files);
  }

  private static Route readable(Router router, String path) {
    return router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD);
  }

  /** {@code openapi.yaml} from the class path, read once (asynchronously) and kept. */
  private void description(RoutingContext ctx) {
    if (description == null || description.failed()) {
      description = vertx.fileSystem().readFile("openapi.yaml");
    }
    description
        .onSuccess(
            yaml ->
                ctx.response()
                    .putHeader("Content-Type", "application/yaml; charset=utf-8")
                    .putHeader("Cache-Control", "public, max-age=" + PAGE_MAX_AGE_SECONDS)
                    .end(yaml))
        .onFailure(ctx::fail);
  }

  /**
   * A page is its file under {@code /static} (a reroute starts afresh, so the headers are set
   * there).
   */
  private static void page(RoutingContext ctx, String file) {
    ctx.reroute("/static" + file);
  }

  private static void secured(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
    ctx.next();
  }
}
