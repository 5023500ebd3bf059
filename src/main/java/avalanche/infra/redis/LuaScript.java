package avalanche.infra.redis;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * A Lua script from {@code src/main/resources/lua}, called by SHA with {@code EVALSHA}. Its SHA is
 * known locally; when Redis answers NOSCRIPT (restarted, flushed, a replica promoted to master in a
 * cluster) the script is loaded again and the call retried. {@link #loadRequest} reaches every
 * master of a cluster ({@code infra/Clients}).
 */
public final class LuaScript {
  private final String name;
  private final String source;
  private final String sha;

  private LuaScript(String name, String source) {
    this.name = name;
    this.source = source;
    this.sha = sha1(source);
  }

  public static LuaScript load(String name) {
    try (InputStream in = LuaScript.class.getResourceAsStream("/lua/" + name + ".lua")) {
      if (in == null) {
        throw new IllegalStateException("missing Lua script " + name);
      }
      return new LuaScript(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String name() {
    return name;
  }

  public String sha() {
    return sha;
  }

  public Request loadRequest() {
    return Request.cmd(Command.SCRIPT).arg("LOAD").arg(source);
  }

  /**
   * Runs the script through {@code send} (a connection or a client); on NOSCRIPT it is sent once in
   * full ({@code EVAL}), which goes by its keys to the very node that answered and leaves the
   * script cached there.
   */
  public Future<Response> run(
      Function<Request, Future<Response>> send, List<String> keys, List<String> args) {
    return send.apply(evalsha(keys, args))
        .recover(
            failure ->
                noScript(failure)
                    ? send.apply(call(Request.cmd(Command.EVAL).arg(source), keys, args))
                    : Future.failedFuture(failure));
  }

  /**
   * Runs many calls of this script ({@link #evalsha}) as one pipelined batch through {@code batch},
   * loading the script and sending the batch again once when any call answered NOSCRIPT. The calls
   * must be idempotent (ours are: each acts by order id), since those before the failing one may
   * have run.
   */
  public Future<List<Response>> runAll(
      Function<List<Request>, Future<List<Response>>> batch,
      Function<Request, Future<Response>> send,
      List<Request> calls) {
    return batch
        .apply(calls)
        .recover(
            failure ->
                noScript(failure)
                    ? send.apply(loadRequest()).compose(loaded -> batch.apply(calls))
                    : Future.failedFuture(failure));
  }

  /**
   * Whether Redis no longer knows a script (restarted without it, flushed, a failover to a replica
   * that never loaded it). The client does not always pass the bare error on: inside a batch it
   * reads {@code ERR [0] NOSCRIPT No matching script}, so the word is looked for anywhere in the
   * message.
   */
  public static boolean noScript(Throwable failure) {
    String message = failure.getMessage();
    return message != null && message.contains("NOSCRIPT");
  }

  /** One {@code EVALSHA} of this script, for callers that pipeline many through {@link #runAll}. */
  public Request evalsha(List<String> keys, List<String> args) {
    return call(Request.cmd(Command.EVALSHA).arg(sha), keys, args);
  }

  private static Request call(Request request, List<String> keys, List<String> args) {
    request.arg(keys.size());
    for (String key : keys) {
      request.arg(key);
    }
    for (String arg : args) {
      request.arg(arg);
    }
    return request;
  }

  private static String sha1(String source) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
