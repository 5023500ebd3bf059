package avalanche.waitingroom;

import avalanche.infra.config.JwtSettings;
import avalanche.infra.http.ApiException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Admission tokens of the waiting rooms: {@code <productId>.<userId>.<ticket>.<expiresAt
 * ms>.<HMAC-SHA256>}, signed with a key derived from the JWT secret (a token of one kind can never
 * pass for the other). The purchase route checks one with one HMAC and no I/O; that it is used once
 * is reserve.lua's part (the ticket goes into the product's used-admissions set in the purchase's
 * own round trip).
 */
public final class AdmissionTokens {
  /** The request header that carries a token to the purchase route. */
  public static final String HEADER = "Admission";

  private static final int MAX_LENGTH = 200;
  private static final ApiException NOT_ADMITTED =
      new ApiException(
          403,
          "NOT_ADMITTED",
          "this drop is behind a waiting room: join the queue and buy with your admission");

  private final SecretKeySpec key;

  /**
   * A Mac per thread: creating one costs far more than using one, and the event loops share this
   * object.
   */
  private final ThreadLocal<Mac> macs;

  public AdmissionTokens(String jwtSecret) {
    try {
      Mac derive = Mac.getInstance("HmacSHA256");
      derive.init(new SecretKeySpec(jwtSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      key =
          new SecretKeySpec(
              derive.doFinal("avalanche waiting-room admission".getBytes(StandardCharsets.UTF_8)),
              "HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    macs =
        ThreadLocal.withInitial(
            () -> {
              try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
                return mac;
              } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
              }
            });
  }

  public static AdmissionTokens of(JwtSettings jwt) {
    return new AdmissionTokens(jwt.requiredSecret());
  }

  public String issue(long productId, long userId, String ticket, long expiresAt) {
    String payload = productId + "." + userId + "." + ticket + "." + expiresAt;
    return payload + "." + sign(payload);
  }

  /**
   * The ticket of {@code token} when it was issued by us to {@code userId} for {@code productId}
   * and has not expired at {@code now}; null when there is no token; a 403 NOT_ADMITTED otherwise.
   */
  public String check(String token, long userId, long productId, long now) {
    if (token == null) {
      return null;
    }
    String[] parts = token.length() > MAX_LENGTH ? new String[0] : token.split("\\.", -1);
    if (parts.length != 5
        || !digits(parts[0])
        || !digits(parts[1])
        || !digits(parts[2])
        || !digits(parts[3])) {
      throw NOT_ADMITTED;
    }
    String payload = token.substring(0, token.lastIndexOf('.'));
    boolean signed =
        MessageDigest.isEqual(
            sign(payload).getBytes(StandardCharsets.US_ASCII),
            parts[4].getBytes(StandardCharsets.US_ASCII));
    if (!signed
        || !parts[0].equals(Long.toString(productId))
        || !parts[1].equals(Long.toString(userId))
        || Long.parseLong(parts[3]) <= now) {
      throw NOT_ADMITTED;
    }
    return parts[2];
  }

  public static ApiException notAdmitted() {
    return NOT_ADMITTED;
  }

  private String sign(String payload) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(macs.get().doFinal(payload.getBytes(StandardCharsets.US_ASCII)));
  }

  /** 1 to 18 decimal digits: a number that fits a long, as every part but the signature is. */
  private static boolean digits(String part) {
    if (part.isEmpty() || part.length() > 18) {
      return false;
    }
    for (int i = 0; i < part.length(); i++) {
      if (part.charAt(i) < '0' || part.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }
}
