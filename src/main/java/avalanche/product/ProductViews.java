package avalanche.product;

import avalanche.waitingroom.RoomSettings;
import avalanche.waitingroom.WaitingRoom;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.time.Instant;

/** Turns a product's live Redis hash into the contract's JSON views. */
public final class ProductViews {
  private ProductViews() {}

  public static JsonObject product(long productId, Response hash) {
    Instant dropAt = Instant.ofEpochMilli(number(hash, "dropAt"));
    RoomSettings room = RoomSettings.of(hash);
    JsonObject product =
        new JsonObject()
            .put("productId", Long.toString(productId))
            .put("name", text(hash, "name"))
            .put("price", number(hash, "price"))
            .put("grade", text(hash, "grade"))
            .put("dropAt", dropAt.toString())
            .put("total", number(hash, "total"))
            .put("available", number(hash, "available"));
    return room == null ? product : product.put("waitingRoom", room.toJson(dropAt));
  }

  public static JsonObject stats(Response hash) {
    JsonObject stats = new JsonObject();
    for (String field :
        new String[] {
          "total",
          "available",
          "reserved",
          "sold",
          "attempts",
          "won",
          "lost",
          "soldOutRejections",
          "alreadyPurchased"
        }) {
      stats.put(field, number(hash, field));
    }
    JsonObject queue = WaitingRoom.stats(hash);
    if (queue != null) {
      stats.put("queue", queue);
    }
    return stats;
  }

  private static String text(Response hash, String field) {
    Response value = hash.get(field);
    return value == null ? null : value.toString();
  }

  private static long number(Response hash, String field) {
    Response value = hash.get(field);
    return value == null ? 0 : value.toLong();
  }
}
