package avalanche.user;

import avalanche.infra.config.ConfigException;
import avalanche.infra.config.Settings;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Two-way encryption of personal data at rest: AES-256-GCM with a random 96-bit nonce per value. A
 * sealed value is {@code version(1) || nonce(12) || ciphertext+tag}. The field name is bound in as
 * associated data, so a name cannot be passed off as an address by swapping columns.
 */
public final class PiiCipher {
  private static final byte VERSION = 1;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;

  public PiiCipher(byte[] key) {
    if (key.length != 32) {
      throw new IllegalArgumentException("AES-256 needs a 32-byte key");
    }
    this.key = new SecretKeySpec(key, "AES");
  }

  public static PiiCipher of(Settings settings) {
    return new PiiCipher(parseKey(settings.piiKey().orElse(null)));
  }

  /** Decodes {@code pii.key}; anything but base64 of exactly 32 bytes is a configuration error. */
  public static byte[] parseKey(String base64) {
    byte[] key;
    try {
      key = Base64.getDecoder().decode(base64 == null ? "" : base64.trim());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          "AVALANCHE_PII_KEY: must be base64 (e.g. `openssl rand -base64 32`)");
    }
    if (key.length != 32) {
      throw new ConfigException("AVALANCHE_PII_KEY: must decode to 32 bytes, got " + key.length);
    }
    return key;
  }

  public byte[] encrypt(String field, String plaintext) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(field.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[1 + NONCE_BYTES + sealed.length];
      out[0] = VERSION;
      System.arraycopy(nonce, 0, out, 1, NONCE_BYTES);
      System.arraycopy(sealed, 0, out, 1 + NONCE_BYTES, sealed.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /** The plaintext, or an exception when the value was sealed with another key or altered. */
  public String decrypt(String field, byte[] sealed) {
    if (sealed == null || sealed.length < 1 + NONCE_BYTES + TAG_BITS / 8 || sealed[0] != VERSION) {
      throw new IllegalArgumentException("not a sealed value");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.DECRYPT_MODE,
          key,
          new GCMParameterSpec(TAG_BITS, Arrays.copyOfRange(sealed, 1, 1 + NONCE_BYTES)));
      cipher.updateAAD(field.getBytes(StandardCharsets.UTF_8));
      return new String(
          cipher.doFinal(sealed, 1 + NONCE_BYTES, sealed.length - 1 - NONCE_BYTES),
          StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("sealed value does not open with this key", e);
    }
  }
}
