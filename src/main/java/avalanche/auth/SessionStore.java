package avalanche.auth;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * Sessions in Redis, one per (user, clientId). Keys share the user's hash tag {@code {u:<id>}}:
 * <ul>
 *   <li>{@code {u:<id>}:sessions} hash clientId → sid (a new login on the same client replaces it)</li>
 *   <li>{@code {u:<id>}:s:<sid>} hash clientId, roles, refresh (SHA-256 of the live refresh token); its TTL
 *   is the refresh lifetime</li>
 * </ul>
 * Refresh tokens are opaque: {@code <userId>.<sid>.<random>}; only their hash is stored.
 */
public final class SessionStore {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Redis redis;
  private final JwtTokens tokens;
  private final long refreshTtlSeconds;

  public SessionStore(Redis redis, JwtTokens tokens, JsonObject config) {
    this.redis = redis;
    this.tokens = tokens;
    this.refreshTtlSeconds = config.getJsonObject("jwt").getLong("refreshTtlSeconds", 2_592_000L);
  }

  public static String sessionsKey(long userId) {
    return "{u:" + userId + "}:sessions";
  }

  public static String sessionKey(long userId, String sid) {
    return "{u:" + userId + "}:s:" + sid;
  }

  /** A login: opens a session for (user, client), replacing that client's previous one. */
  public Future<JsonObject> open(long userId, List<String> roles, String clientId) {
    Opened opened = prepare(userId, roles, clientId);
    return redis.send(Request.cmd(Command.HGET).arg(sessionsKey(userId)).arg(clientId))
        .compose(previous -> {
          List<Request> writes = new ArrayList<>(opened.writes);
          if (previous != null) {
            writes.add(Request.cmd(Command.DEL).arg(sessionKey(userId, previous.toString())));
          }
          return redis.batch(writes);
        })
        .map(done -> opened.pair);
  }

  /** Many logins in one pipelined batch (load-test provisioning); each user gets a fresh client id. */
  public Future<List<JsonObject>> openMany(List<Long> userIds, List<String> roles, String clientId) {
    List<Request> writes = new ArrayList<>();
    List<JsonObject> pairs = new ArrayList<>();
    for (long userId : userIds) {
      Opened opened = prepare(userId, roles, clientId);
      writes.addAll(opened.writes);
      pairs.add(opened.pair);
    }
    return redis.batch(writes).map(done -> pairs);
  }

  /** True while the session behind an access token is alive (not logged out, not replaced). */
  public Future<Boolean> isAlive(long userId, String sid) {
    return redis.send(Request.cmd(Command.EXISTS).arg(sessionKey(userId, sid))).map(r -> r.toInteger() == 1);
  }

  private record Opened(List<Request> writes, JsonObject pair) {}

  private Opened prepare(long userId, List<String> roles, String clientId) {
    String sid = UUID.randomUUID().toString();
    String refresh = refreshToken(userId, sid);
    String session = sessionKey(userId, sid);
    List<Request> writes = List.of(
        Request.cmd(Command.HSET).arg(session).arg("clientId").arg(clientId).arg("roles").arg(String.join(",", roles))
            .arg("refresh").arg(sha256(refresh)),
        Request.cmd(Command.EXPIRE).arg(session).arg(refreshTtlSeconds),
        Request.cmd(Command.HSET).arg(sessionsKey(userId)).arg(clientId).arg(sid),
        Request.cmd(Command.EXPIRE).arg(sessionsKey(userId)).arg(refreshTtlSeconds));
    JsonObject pair = new JsonObject()
        .put("accessToken", tokens.issue(userId, roles, sid, clientId))
        .put("refreshToken", refresh)
        .put("tokenType", "Bearer")
        .put("expiresIn", tokens.accessTtlSeconds());
    return new Opened(writes, pair);
  }

  static String refreshToken(long userId, String sid) {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return userId + "." + sid + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  static String sha256(String value) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
