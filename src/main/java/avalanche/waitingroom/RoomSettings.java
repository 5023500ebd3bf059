package avalanche.waitingroom;

import avalanche.infra.http.ApiException;
import avalanche.infra.http.Bodies;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.time.Instant;

/**
 * A product's {@code waitingRoom}: how many shoppers are admitted per second, and how long before
 * dropAt it opens.
 */
public record RoomSettings(long admitPerSecond, long opensSecondsBefore) {
  public static final long MAX_ADMIT_PER_SECOND = 100_000;
  public static final long MAX_OPENS_SECONDS_BEFORE = 86_400;
  public static final long DEFAULT_OPENS_SECONDS_BEFORE = 600;

  /** The body's {@code waitingRoom}, or null when absent; a 400 naming the field when malformed. */
  public static RoomSettings parse(JsonObject body) {
    Object value = body.getValue("waitingRoom");
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject room)) {
      throw ApiException.validation(
          "waitingRoom must be an object {admitPerSecond, opensSecondsBefore?}");
    }
    for (String field : room.fieldNames()) {
      if (!field.equals("admitPerSecond") && !field.equals("opensSecondsBefore")) {
        throw ApiException.validation("waitingRoom has no field " + field);
      }
    }
    long rate = Bodies.integer(room, "admitPerSecond", 1, MAX_ADMIT_PER_SECOND);
    long opens =
        room.getValue("opensSecondsBefore") == null
            ? DEFAULT_OPENS_SECONDS_BEFORE
            : Bodies.integer(room, "opensSecondsBefore", 0, MAX_OPENS_SECONDS_BEFORE);
    return new RoomSettings(rate, opens);
  }

  /** The settings kept in a product's live hash, or null for a product without a room. */
  public static RoomSettings of(Response productHash) {
    Response rate = productHash.get(RoomFields.ADMIT_PER_SECOND);
    Response opens = productHash.get(RoomFields.OPENS_SECONDS_BEFORE);
    return rate == null || opens == null ? null : new RoomSettings(rate.toLong(), opens.toLong());
  }

  public Instant opensAt(Instant dropAt) {
    return dropAt.minusSeconds(opensSecondsBefore);
  }

  /** The product's {@code waitingRoom} field. */
  public JsonObject toJson(Instant dropAt) {
    return new JsonObject()
        .put("admitPerSecond", admitPerSecond)
        .put("opensSecondsBefore", opensSecondsBefore)
        .put("opensAt", opensAt(dropAt).toString());
  }
}
