package avalanche.infra.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.avro.message.BinaryMessageDecoder;

/**
 * Kafka values in Avro single-object encoding: a marker, the writer schema's 64-bit fingerprint,
 * then the binary record. A decoder knows the fingerprints of the schemas it can read, so a payload
 * of another type, of an unknown schema version or cut short is refused as a {@link PoisonMessage}.
 */
public final class AvroMessages {
  private AvroMessages() {}

  /** What a generated class's {@code toByteBuffer} is: its single-object encoding. */
  @FunctionalInterface
  public interface Encoding {
    ByteBuffer encode() throws IOException;
  }

  /** {@code AvroMessages.encode(record::toByteBuffer)}. */
  public static byte[] encode(Encoding encoding) {
    try {
      ByteBuffer buffer = encoding.encode();
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static <T> T decode(BinaryMessageDecoder<T> decoder, byte[] payload, String type) {
    if (payload == null) {
      throw new PoisonMessage("empty payload, expected " + type);
    }
    try {
      return decoder.decode(payload);
    } catch (IOException | RuntimeException e) {
      throw new PoisonMessage("not a readable " + type, e);
    }
  }
}
