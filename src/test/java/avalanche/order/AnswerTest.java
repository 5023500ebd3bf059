package avalanche.order;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class AnswerTest {
  @Test
  void theWrittenOutWinIsItsBodyInJson() {
    String orderId = OrderIds.next(42, 3);
    Answer won = Answer.reserved(orderId);
    assertThat(new JsonObject(won.encoded())).isEqualTo(won.body());
    assertThat(won.body().encode()).isEqualTo(won.encoded().toString());
    assertThat(won.body().getString("orderId")).isEqualTo(orderId);
    assertThat(won.location()).isEqualTo("/api/orders/" + orderId);
    assertThat(Answer.fromJson(won.toJson()).encoded()).isEqualTo(won.encoded());
  }
}
