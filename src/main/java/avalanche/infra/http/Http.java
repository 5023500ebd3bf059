package avalanche.infra.http;

import avalanche.infra.Failures;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON answers and the one failure handler that turns every failure into the contract's error JSON.
 */
public final class Http {
  private static final Logger LOG = LoggerFactory.getLogger(Http.class);
  public static final String JSON = "application/json";

  private Http() {}

  public static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", JSON).end(body.toBuffer());
  }

  public static void error(HttpServerResponse response, ApiException e) {
    if (response.ended() || response.headWritten()) {
      return;
    }
    if (e.status() == 429 && response.headers().get("Retry-After") == null) {
      response.putHeader("Retry-After", Long.toString(Math.max(1, e.retryAfterSeconds())));
    }
    response.setStatusCode(e.status()).putHeader("Content-Type", JSON).end(e.body().toBuffer());
  }

  /**
   * Wraps a handler whose work is a Future of a JSON answer; failures go to the failure handler.
   */
  public static io.vertx.core.Handler<RoutingContext> handle(
      int status, Function<RoutingContext, Future<JsonObject>> work) {
    return ctx -> {
      Future<JsonObject> result;
      try {
        result = work.apply(ctx);
      } catch (RuntimeException e) {
        ctx.fail(e);
        return;
      }
      result.onSuccess(body -> json(ctx, status, body)).onFailure(ctx::fail);
    };
  }

  /**
   * Router failure handler: contract codes for known failures, a plain 500 without details
   * otherwise.
   */
  public static void failure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    error(
        ctx.response(),
        failure == null
            ? fromStatus(ctx.statusCode(), null)
            : answer(failure, ctx.request(), ctx.statusCode()));
  }

  /** Answers {@code request} for {@code failure} as {@link #failure} would. */
  public static void fail(HttpServerRequest request, Throwable failure) {
    error(request.response(), answer(failure, request, -1));
  }

  /**
   * The HTTP server's answer to a request its decoder refused (request line or headers too long, a
   * {@code Content-Length} that is not one number, control characters in a header, not HTTP at
   * all): the contract's error JSON instead of Vert.x's empty body. The decoder cannot find the
   * next request after such bytes, so the connection closes once the answer is out.
   */
  public static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ApiException answer;
    if (cause instanceof TooLongHttpLineException) {
      answer = new ApiException(414, "URI_TOO_LONG", "the request line is too long");
    } else if (cause instanceof TooLongHttpHeaderException) {
      answer = new ApiException(431, "HEADERS_TOO_LARGE", "the request headers are too large");
    } else {
      answer =
          ApiException.validation(
              "malformed HTTP request (request line, a header or Content-Length)");
    }
    LOG.debug("refused an undecodable request: {}", String.valueOf(cause));
    request.response().putHeader(HttpHeaders.CONNECTION, "close");
    error(request.response(), answer);
  }

  /**
   * A request line naming an HTTP version other than 1.0 and 1.1: 400 and the connection closed.
   */
  public static void unsupportedVersion(HttpServerRequest request) {
    LOG.debug("refused a request of an unknown HTTP version");
    ApiException answer = ApiException.validation("unsupported HTTP version: speak HTTP/1.1");
    request
        .response()
        .setStatusCode(answer.status())
        .putHeader("Content-Type", JSON)
        .putHeader(HttpHeaders.CONNECTION, "close")
        .end(answer.body().toBuffer())
        .onComplete(sent -> request.connection().close());
  }

  /**
   * A client's mistake is answered, not logged above DEBUG (a flood of bad requests must not flood
   * the log); only a failure the server cannot explain is an ERROR.
   */
  private static ApiException answer(
      Throwable failure, HttpServerRequest request, int routerStatus) {
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure instanceof io.vertx.core.json.DecodeException) {
      return ApiException.validation("request body is not valid JSON");
    }
    if (failure instanceof HttpException http) {
      return fromStatus(http.getStatusCode(), http.getPayload());
    }
    if (routerStatus >= 400 && routerStatus < 500) {
      // vertx-web refused the request itself, e.g. HTTP/1.1 without a Host header.
      LOG.debug(
          "router refused {} {} with {}: {}",
          request.method(),
          request.path(),
          routerStatus,
          failure.getMessage());
      return fromStatus(routerStatus, failure.getMessage());
    }
    if (!request.isEnded()) {
      // The request broke while its body came in: a malformed chunk, or the client went away. Netty
      // fails the
      // connection for it, so this answer rarely reaches anyone.
      LOG.debug(
          "request body of {} {} could not be read: {}",
          request.method(),
          request.path(),
          failure.toString());
      return ApiException.validation("the request body could not be read");
    }
    if (Failures.unavailable(failure)) {
      LOG.warn(
          "{} {}: a dependency is unavailable: {}",
          request.method(),
          request.path(),
          failure.toString());
      return ApiException.unavailable("a service this call needs is unavailable, try again");
    }
    LOG.error("unhandled failure on {} {}", request.method(), request.path(), failure);
    return new ApiException(500, "INTERNAL", "internal error");
  }

  /**
   * Router error handler for {@code status}. The router calls it when no route matched (404, 405)
   * or when the request could not be routed at all: an undecodable path such as {@code
   * /api/products/%zz} fails while routes are matched, and the router then passes neither the
   * failure nor the status on the context (400).
   */
  public static void unrouted(RoutingContext ctx, int status) {
    if (ctx.failure() == null && ctx.statusCode() < 0) {
      error(ctx.response(), fromStatus(status, null));
    } else {
      failure(ctx);
    }
  }

  public static ApiException fromStatus(int status, String detail) {
    return switch (status) {
      case 400 -> ApiException.validation(detail != null ? detail : "bad request");
      case 401 -> ApiException.unauthorized("a valid access token is required");
      case 403 -> ApiException.forbidden("not allowed");
      case 404 -> ApiException.notFound("no such resource");
      case 405 -> new ApiException(405, "METHOD_NOT_ALLOWED", "method not allowed on this path");
      case 413 -> new ApiException(413, "PAYLOAD_TOO_LARGE", "request body is too large");
      case 415 -> new ApiException(415, "UNSUPPORTED_MEDIA_TYPE", "send application/json");
      case 429 -> new ApiException(429, "RATE_LIMITED", "too many requests");
      case 503 -> ApiException.unavailable("service unavailable");
      default ->
          status >= 400 && status < 500
              ? new ApiException(status, "BAD_REQUEST", detail != null ? detail : "bad request")
              : new ApiException(500, "INTERNAL", "internal error");
    };
  }
}
