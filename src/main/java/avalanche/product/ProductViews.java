package avalanche.product;

import avalanche.stock.Buckets;
import avalanche.stock.LiveProducts;
import avalanche.stock.StockTotals;
import avalanche.waitingroom.RoomSettings;
import avalanche.waitingroom.WaitingRoom;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.time.Instant;

/** Turns a product's live Redis hash into the contract's JSON views. */
public final class ProductViews {
  private ProductViews() {}

  public static JsonObject product(LiveProducts.Live live) {
    Response hash = live.first();
    Instant dropAt = Instant.ofEpochMilli(number(hash, "dropAt"));
    RoomSettings room = RoomSettings.of(hash);
    JsonObject product =
        new JsonObject()
            .put("productId", Long.toString(live.productId()))
            .put("name", text(hash, "name"))
            .put("price", number(hash, "price"))
            .put("grade", text(hash, "grade"))
            .put("dropAt", dropAt.toString())
            .put("total", live.totals().total())
            .put("available", live.totals().available());
    Response salts = hash.get(Buckets.SALTS_FIELD);
    if (salts != null) {
      product.put("buckets", Buckets.parse(live.productId(), salts.toString()).count());
    }
    return room == null ? product : product.put("waitingRoom", room.toJson(dropAt));
  }

  public static JsonObject stats(LiveProducts.Live live) {
    StockTotals t = live.totals();
    JsonObject stats =
        new JsonObject()
            .put("total", t.total())
            .put("available", t.available())
            .put("reserved", t.reserved())
            .put("sold", t.sold())
            .put("attempts", t.attempts())
            .put("won", t.won())
            .put("lost", t.lost())
            .put("soldOutRejections", t.soldOutRejections())
            .put("alreadyPurchased", t.alreadyPurchased());
    JsonObject queue = WaitingRoom.stats(live.first());
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
