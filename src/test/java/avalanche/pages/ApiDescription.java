package avalanche.pages;

import static org.assertj.core.api.Assertions.assertThat;

import avalanche.App;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code openapi.yaml} (the file the server serves) loaded with vertx-openapi, and real answers
 * checked against it with its response validator: status, headers and body of the named operation.
 * Remembers which operations it saw.
 */
final class ApiDescription {
  /**
   * The media type vertx-openapi's validator reads; the others (pages, the event stream, Prometheus
   * text, whose parameters it does not accept) are checked here: the declared type, status and
   * headers.
   */
  private static final Set<String> VALIDATED_TYPES = Set.of("application/json");

  private final OpenAPIContract contract;
  private final ResponseValidator validator;
  private final Set<String> seen = ConcurrentHashMap.newKeySet();

  /**
   * "operationId status" → the media type the description declares for it, for the types validated
   * here.
   */
  private final Map<String, String> ownTypes = new HashMap<>();

  ApiDescription(Vertx vertx) {
    @SuppressWarnings("unchecked")
    Map<String, Object> yaml =
        (Map<String, Object>)
            new Yaml().load(vertx.fileSystem().readFileBlocking("openapi.yaml").toString());
    JsonObject raw = new JsonObject(yaml);
    takeOwnTypes(raw);
    contract = App.await(OpenAPIContract.from(vertx, raw));
    validator = ResponseValidator.create(vertx, contract);
  }

  /**
   * Moves the answers of media types the validator does not read out of its copy of the
   * description.
   */
  private void takeOwnTypes(JsonObject raw) {
    JsonObject paths = raw.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        JsonObject operation = item.getJsonObject(method);
        JsonObject responses = operation.getJsonObject("responses");
        for (String status : responses.fieldNames()) {
          JsonObject content = responses.getJsonObject(status).getJsonObject("content");
          if (content == null) {
            continue;
          }
          for (String type : Set.copyOf(content.fieldNames())) {
            if (!VALIDATED_TYPES.contains(type)) {
              ownTypes.put(operation.getString("operationId") + " " + status, type);
              content.remove(type);
            }
          }
          if (content.isEmpty()) {
            responses.getJsonObject(status).remove("content");
          }
        }
      }
    }
  }

  /**
   * Validates {@code response} as an answer of {@code operationId} (fails the test when it is not).
   */
  HttpResponse<Buffer> check(String operationId, HttpResponse<Buffer> response) {
    Map<String, String> headers = new HashMap<>();
    response.headers().forEach(h -> headers.put(h.getKey(), h.getValue()));
    String type = response.getHeader("Content-Type");
    Buffer body = response.body();
    String own = ownTypes.get(operationId + " " + response.statusCode());
    if (own != null) {
      assertThat(type).as(operationId + " " + response.statusCode() + " is " + own).startsWith(own);
      body = null;
    }
    ValidatableResponse answer =
        body == null || body.length() == 0
            ? ValidatableResponse.create(response.statusCode(), headers)
            : ValidatableResponse.create(response.statusCode(), headers, body, type);
    try {
      App.await(validator.validate(answer, operationId));
    } catch (RuntimeException e) {
      throw new AssertionError(
          operationId
              + " answered "
              + response.statusCode()
              + " "
              + type
              + " "
              + response.bodyAsString()
              + ", which the description does not allow: "
              + e.getMessage(),
          e);
    }
    seen.add(operationId);
    return response;
  }

  /** Validates one JSON value against {@code components/schemas/<name>}. */
  void checkSchema(String operationId, String name, JsonObject value) {
    JsonObject schema =
        contract
            .getRawContract()
            .getJsonObject("components")
            .getJsonObject("schemas")
            .getJsonObject(name);
    OutputUnit result =
        Validator.create(
                JsonSchema.of(schema),
                new JsonSchemaOptions()
                    .setDraft(Draft.DRAFT202012)
                    .setBaseUri("https://avalanche.local/"))
            .validate(value);
    assertThat(result.getValid())
        .as(name + ": " + value.encode() + " " + result.getErrors())
        .isTrue();
    seen.add(operationId);
  }

  Set<String> operations() {
    Set<String> all = new java.util.TreeSet<>();
    contract.operations().forEach(op -> all.add(op.getOperationId()));
    return all;
  }

  Set<String> seen() {
    return seen;
  }
}
