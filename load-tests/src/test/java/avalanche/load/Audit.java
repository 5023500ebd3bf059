package avalanche.load;

import io.gatling.javaapi.core.ScenarioBuilder;

import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Supplier;

import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

/**
 * The last step of a run (after every shopper finished): reads each product's stats and fails the request
 * "product stats invariants" (so the run, through the no-failed-requests assertion) when an invariant broke.
 */
final class Audit {
  static final String REQUEST = "product stats invariants";

  private Audit() {}

  /** {@code violations(productId, statsBody)} returns "" when all hold. */
  static ScenarioBuilder of(Supplier<List<String>> products, Supplier<String> adminToken,
                                  BiFunction<String, String, String> violations) {
    return scenario("audit")
        .exec(session -> session.set("adminToken", adminToken.get()).set("auditProducts", products.get()))
        .foreach("#{auditProducts}", "productId").on(
            exec(http(REQUEST).get("/api/admin/products/#{productId}/stats")
                .header("Authorization", "Bearer #{adminToken}")
                .check(status().is(200),
                    bodyString().transformWithSession((body, session) -> violations.apply(session.getString("productId"), body))
                        .is(""))));
  }
}
