package avalanche.infra.redis;

import java.nio.charset.StandardCharsets;

/**
 * Redis Cluster's key → slot function (CRC16/XMODEM of the key, or of its first non-empty {@code
 * {...}} hash tag, modulo 16384), as the Redis Cluster specification defines it. Used to keep a
 * batch on one node and to place hash tags on chosen masters.
 */
public final class HashSlots {
  public static final int COUNT = 16_384;

  private HashSlots() {}

  public static int of(String key) {
    return of(key.getBytes(StandardCharsets.UTF_8));
  }

  public static int of(byte[] key) {
    int start = 0;
    int end = key.length;
    int open = indexOf(key, (byte) '{', 0);
    if (open >= 0) {
      int close = indexOf(key, (byte) '}', open + 1);
      if (close > open + 1) {
        start = open + 1;
        end = close;
      }
    }
    return crc16(key, start, end) & (COUNT - 1);
  }

  private static int indexOf(byte[] bytes, byte wanted, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == wanted) {
        return i;
      }
    }
    return -1;
  }

  private static int crc16(byte[] bytes, int start, int end) {
    int crc = 0;
    for (int i = start; i < end; i++) {
      crc ^= (bytes[i] & 0xff) << 8;
      for (int bit = 0; bit < 8; bit++) {
        crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
      }
    }
    return crc & 0xffff;
  }
}
