package avalanche.product;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.TestServer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A created product reads back exactly as the create call answered it, alone and in the list. */
@ExtendWith(VertxExtension.class)
class ProductRoutesTest {
  @RegisterExtension static final TestServer server = TestServer.extension();

  @Test
  void createdProductReadsBackTheSame(VertxTestContext test) {
    JsonObject body =
        new JsonObject()
            .put("name", "Sneaker")
            .put("price", 120)
            .put("stock", 7)
            .put("grade", "RARE");
    server
        .adminToken()
        .compose(
            admin ->
                server
                    .http()
                    .post("/api/admin/products")
                    .bearerTokenAuthentication(admin)
                    .sendJsonObject(body))
        .compose(
            created -> {
              assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
              JsonObject product = created.bodyAsJsonObject();
              String id = product.getString("productId");
              return server
                  .http()
                  .get("/api/products/" + id)
                  .send()
                  .compose(
                      one ->
                          server
                              .http()
                              .get("/api/products")
                              .send()
                              .map(
                                  list -> {
                                    assertThat(one.statusCode()).isEqualTo(200);
                                    assertThat(one.bodyAsJsonObject()).isEqualTo(product);
                                    assertThat(
                                            list.bodyAsJsonObject().getJsonArray("items").stream()
                                                .filter(
                                                    item ->
                                                        id.equals(
                                                            ((JsonObject) item)
                                                                .getString("productId"))))
                                        .containsExactly(product);
                                    return list;
                                  }));
            })
        .onComplete(test.succeedingThenComplete());
  }
}
