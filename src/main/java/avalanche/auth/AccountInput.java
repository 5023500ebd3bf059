package avalanche.auth;

import avalanche.infra.http.ApiException;
import avalanche.infra.http.Bodies;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks and normalizes the fields of the account calls; every problem is 400 VALIDATION_FAILED.
 */
public final class AccountInput {
  public static final int PASSWORD_MIN = 8;
  public static final int PASSWORD_MAX = 128;
  private static final Pattern EMAIL =
      Pattern.compile(
          "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
              + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+");
  private static final Pattern PHONE = Pattern.compile("\\+?[0-9][0-9 ()./-]{4,30}");

  private AccountInput() {}

  /** Trimmed, lower-case, and shaped like a deliverable address. */
  public static String email(JsonObject body) {
    String email = Bodies.string(body, "email", 320).trim().toLowerCase(Locale.ROOT);
    if (email.length() > 254 || !EMAIL.matcher(email).matches()) {
      throw ApiException.validation("email must be a valid email address");
    }
    return email;
  }

  /**
   * Trimmed and lower-case, without a shape check (login and reset look the address up, nothing
   * more).
   */
  public static String lookupEmail(JsonObject body) {
    return Bodies.string(body, "email", 320).trim().toLowerCase(Locale.ROOT);
  }

  public static String password(JsonObject body, String field) {
    String password = Bodies.string(body, field, PASSWORD_MAX);
    if (password.length() < PASSWORD_MIN) {
      throw ApiException.validation(
          field + " is too weak: at least " + PASSWORD_MIN + " characters");
    }
    return password;
  }

  /** A printable free-text field, trimmed, 1..max characters. */
  public static String text(JsonObject body, String field, int max) {
    String value = Bodies.string(body, field, max).trim();
    if (value.isEmpty() || value.chars().anyMatch(Character::isISOControl)) {
      throw ApiException.validation(field + " must be 1.." + max + " printable characters");
    }
    return value;
  }

  public static String phone(JsonObject body) {
    String phone = Bodies.string(body, "phone", 32).trim();
    if (!PHONE.matcher(phone).matches()) {
      throw ApiException.validation("phone must be 5..32 digits, spaces, +, -, (, ), / or .");
    }
    return phone;
  }

  /** The device name: 1..64 characters, not blank, no control characters. */
  public static String clientId(JsonObject body) {
    Object value = body.getValue("clientId");
    if (!(value instanceof String clientId)
        || clientId.isEmpty()
        || clientId.length() > 64
        || clientId.isBlank()
        || clientId.chars().anyMatch(Character::isISOControl)) {
      throw ApiException.validation("clientId must be 1..64 characters, not blank");
    }
    return clientId;
  }
}
