package avalanche.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.concurrent.TimeUnit;

/**
 * Assertions on the contract's error answers: status, {@code {"error", "message"}} as JSON, no
 * stack trace.
 */
final class ErrorAnswers {
  private ErrorAnswers() {}

  /** A call that names itself if it never answers, instead of the whole test timing out. */
  static <T> Future<T> labelled(String label, Future<T> call) {
    return call.timeout(20, TimeUnit.SECONDS)
        .recover(e -> Future.failedFuture(new AssertionError(label + ": " + e.getMessage(), e)));
  }

  static Future<HttpResponse<Buffer>> expect(
      String label,
      Future<HttpResponse<Buffer>> call,
      int status,
      String code,
      String... messageMentions) {
    return labelled(label, call)
        .map(
            r -> {
              assertError(label, r, status, code, messageMentions);
              return r;
            });
  }

  /** Any 4xx is fine where the contract names none, but it must be the JSON error shape. */
  static Future<HttpResponse<Buffer>> expectClientError(
      String label, Future<HttpResponse<Buffer>> call) {
    return labelled(label, call)
        .map(
            r -> {
              assertThat(r.statusCode()).as(label + ": " + r.bodyAsString()).isBetween(400, 499);
              assertErrorShape(label, r, r.statusCode(), r.bodyAsJsonObject().getString("error"));
              return r;
            });
  }

  static void assertError(
      String label, HttpResponse<Buffer> r, int status, String code, String... messageMentions) {
    assertErrorShape(label, r, status, code);
    for (String mention : messageMentions) {
      assertThat(r.bodyAsJsonObject().getString("message")).as(label).contains(mention);
    }
  }

  static void assertErrorShape(String label, HttpResponse<Buffer> r, int status, String code) {
    String body = r.bodyAsString();
    assertThat(r.statusCode()).as(label + ": " + body).isEqualTo(status);
    assertThat(r.getHeader("Content-Type")).as(label).isEqualTo("application/json");
    JsonObject json = r.bodyAsJsonObject();
    assertThat(json.getString("error")).as(label).isEqualTo(code);
    assertThat(json.getValue("message")).as(label).isInstanceOf(String.class);
    assertThat(json.fieldNames()).as(label).isSubsetOf("error", "message", "opensAt");
    assertThat(body).as(label).doesNotContain("Exception").doesNotContain("\tat ");
  }
}
