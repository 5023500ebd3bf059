package avalanche.order;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which paths the direct purchase handler takes; every other spelling is left to the router. */
class PurchasePathTest {

  @Test
  void takesOnlyTheContractsSpelling() {
    assertThat(PurchaseRoutes.productId("/api/products/42/purchase")).isEqualTo("42");
    assertThat(PurchaseRoutes.productId("/api/products/007/purchase")).isEqualTo("007");
  }

  @Test
  void leavesEverythingElseToTheRouter() {
    for (String path :
        new String[] {
          "/api/products//purchase",
          "/api/products/4a/purchase",
          "/api/products/%34/purchase",
          "/api/products/42/purchase/",
          "/api/products/42/purchases",
          "/api/products/42",
          "/api/products/purchase",
          "/api/products/1/2/purchase",
          "//api/products/42/purchase",
          "/api/products/./42/purchase",
          "",
          null
        }) {
      assertThat(PurchaseRoutes.productId(path)).as(path).isNull();
    }
  }
}
