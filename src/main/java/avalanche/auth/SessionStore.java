package avalanche.auth;

import avalanche.infra.config.JwtSettings;
import avalanche.infra.redis.LuaScript;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Sessions in Redis, one per (user, clientId). Keys share the user's hash tag {@code {u:<id>}}:
 *
 * <ul>
 *   <li>{@code {u:<id>}:sessions} hash clientId → sid (a new login on the same client replaces it)
 *   <li>{@code {u:<id>}:s:<sid>} hash clientId, roles, refresh (SHA-256 of the live refresh token);
 *       its TTL is the refresh lifetime
 *   <li>{@code {u:<id>}:s:<sid>:rotated} list of the SHA-256 of the session's rotated-away refresh
 *       tokens (newest first, bounded), to tell a replayed token from a forged one
 * </ul>
 *
 * Refresh tokens are opaque: {@code <userId>.<sid>.<random>}; only their hash is stored. Every
 * session that ends is announced through the {@link RevocationLog}.
 */
public final class SessionStore {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern REFRESH =
      Pattern.compile(
          "([1-9][0-9]{0,17})\\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\\.[A-Za-z0-9_-]{43}");
  private static final int ROTATED_KEPT = 64;
  private static final LuaScript OPEN = LuaScript.load("session_open");
  private static final LuaScript ROTATE = LuaScript.load("session_rotate");
  private static final LuaScript END = LuaScript.load("session_end");
  private static final LuaScript END_ALL = LuaScript.load("session_end_all");

  private final Redis redis;
  private final JwtTokens tokens;
  private final long refreshTtlSeconds;
  private final RevocationLog revocations;

  public SessionStore(Redis redis, JwtTokens tokens, JwtSettings jwt) {
    this(redis, tokens, jwt, null);
  }

  /** As above; {@code local} (may be null) hears this process's revocations at once. */
  public SessionStore(Redis redis, JwtTokens tokens, JwtSettings jwt, RevocationCache local) {
    this.redis = redis;
    this.tokens = tokens;
    this.refreshTtlSeconds = jwt.refreshTtlSeconds();
    this.revocations = new RevocationLog(redis, local, jwt);
  }

  public static String sessionsKey(long userId) {
    return "{u:" + userId + "}:sessions";
  }

  public static String sessionKey(long userId, String sid) {
    return "{u:" + userId + "}:s:" + sid;
  }

  static String rotatedKey(long userId, String sid) {
    return sessionKey(userId, sid) + ":rotated";
  }

  /**
   * A login: opens a session for (user, client), ending that client's previous one in the same
   * step.
   */
  public Future<JsonObject> open(long userId, List<String> roles, String clientId) {
    String sid = UUID.randomUUID().toString();
    String refresh = refreshToken(userId, sid);
    return OPEN.run(
            redis::send,
            List.of(sessionsKey(userId), sessionKey(userId, sid)),
            List.of(
                clientId,
                sid,
                String.join(",", roles),
                sha256(refresh),
                Long.toString(refreshTtlSeconds),
                sessionKey(userId, "")))
        .compose(
            previous ->
                previous == null
                    ? Future.succeededFuture()
                    : revocations.announce(List.of(previous.toString())))
        .map(announced -> pair(userId, roles, sid, clientId, refresh));
  }

  /**
   * Many logins in one pipelined batch (load-test provisioning); each user gets a fresh client id.
   */
  public Future<List<JsonObject>> openMany(
      List<Long> userIds, List<String> roles, String clientId) {
    List<Request> writes = new ArrayList<>();
    List<JsonObject> pairs = new ArrayList<>();
    for (long userId : userIds) {
      String sid = UUID.randomUUID().toString();
      String refresh = refreshToken(userId, sid);
      String session = sessionKey(userId, sid);
      writes.add(
          Request.cmd(Command.HSET)
              .arg(session)
              .arg("clientId")
              .arg(clientId)
              .arg("roles")
              .arg(String.join(",", roles))
              .arg("refresh")
              .arg(sha256(refresh)));
      writes.add(Request.cmd(Command.EXPIRE).arg(session).arg(refreshTtlSeconds));
      writes.add(Request.cmd(Command.HSET).arg(sessionsKey(userId)).arg(clientId).arg(sid));
      writes.add(Request.cmd(Command.EXPIRE).arg(sessionsKey(userId)).arg(refreshTtlSeconds));
      pairs.add(pair(userId, roles, sid, clientId, refresh));
    }
    return redis.batch(writes).map(done -> pairs);
  }

  /** True while the session behind an access token is alive (not logged out, not replaced). */
  public Future<Boolean> isAlive(long userId, String sid) {
    return redis
        .send(Request.cmd(Command.EXISTS).arg(sessionKey(userId, sid)))
        .map(r -> r.toInteger() == 1);
  }

  /** What a refresh attempt came to. */
  public enum Rotation {
    ROTATED,
    REUSED,
    INVALID
  }

  public record Refreshed(Rotation outcome, JsonObject pair) {}

  /**
   * Refresh rotation: a new pair for the live refresh token; the presented one is dead from now on.
   * A token that was already rotated away ends its session (reuse detection); anything else is just
   * refused.
   */
  public Future<Refreshed> rotate(String refreshToken) {
    var parsed = REFRESH.matcher(refreshToken);
    if (!parsed.matches()) {
      return Future.succeededFuture(new Refreshed(Rotation.INVALID, null));
    }
    long userId = Long.parseLong(parsed.group(1));
    String sid = parsed.group(2);
    String next = refreshToken(userId, sid);
    return ROTATE
        .run(
            redis::send,
            List.of(sessionKey(userId, sid), rotatedKey(userId, sid), sessionsKey(userId)),
            List.of(
                sha256(refreshToken),
                sha256(next),
                Long.toString(refreshTtlSeconds),
                sid,
                Integer.toString(ROTATED_KEPT)))
        .compose(
            r ->
                switch (r.get(0).toString()) {
                  case "ROTATED" -> {
                    String clientId = r.get(1).toString();
                    String roles = r.get(2) == null ? "" : r.get(2).toString();
                    List<String> roleList =
                        roles.isEmpty() ? List.of() : Arrays.asList(roles.split(","));
                    yield Future.succeededFuture(
                        new Refreshed(
                            Rotation.ROTATED, pair(userId, roleList, sid, clientId, next)));
                  }
                  case "REUSED" ->
                      revocations.announce(List.of(sid)).map(new Refreshed(Rotation.REUSED, null));
                  default -> Future.succeededFuture(new Refreshed(Rotation.INVALID, null));
                });
  }

  /** Logout of one device: its access and refresh tokens are refused from now on. */
  public Future<Void> end(long userId, String sid) {
    return END.run(
            redis::send,
            List.of(sessionKey(userId, sid), rotatedKey(userId, sid), sessionsKey(userId)),
            List.of(sid))
        .compose(r -> revocations.announce(List.of(sid)));
  }

  /** Logout of every device of the user (also after a password reset). */
  public Future<Void> endAll(long userId) {
    return END_ALL
        .run(redis::send, List.of(sessionsKey(userId)), List.of(sessionKey(userId, "")))
        .compose(
            r -> {
              List<String> sids = new ArrayList<>();
              for (Response sid : r) {
                sids.add(sid.toString());
              }
              return revocations.announce(sids);
            });
  }

  private JsonObject pair(
      long userId, List<String> roles, String sid, String clientId, String refresh) {
    return new JsonObject()
        .put("accessToken", tokens.issue(userId, roles, sid, clientId))
        .put("refreshToken", refresh)
        .put("tokenType", "Bearer")
        .put("expiresIn", tokens.accessTtlSeconds());
  }

  static String refreshToken(long userId, String sid) {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return userId
        + "."
        + sid
        + "."
        + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  static String sha256(String value) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
